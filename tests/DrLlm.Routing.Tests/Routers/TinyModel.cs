using DrLlm.Engine.Model;

namespace DrLlm.Routing.Tests.Routers;

/// <summary>A 6-block random LLaMA small enough that router tests stay well under a second each.</summary>
internal static class TinyModel
{
    public static readonly ModelConfig Config = new()
    {
        Architecture = Architecture.Llama, HiddenSize = 32, IntermediateSize = 48, NumLayers = 6, NumHeads = 4,
        NumKvHeads = 2, HeadDim = 8, VocabSize = 64, RmsNormEps = 1e-5f,
    };

    /// <param name="scale">standard deviation of the random weights and embeddings; a large one gives a residual stream
    /// far from RMS 1, as small trained models can have</param>
    public static Decoder Create(int seed = 3, float scale = 0.3f) =>
        new(ModelWeights.FromCheckpoint(InMemoryTensorSource.Checkpoint(Config, RandomInit.Weights(Config, seed, scale))), threads: 1);
}
