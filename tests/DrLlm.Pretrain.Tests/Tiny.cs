using DrLlm.Engine.Model;

namespace DrLlm.Pretrain.Tests;

/// <summary>Small LLaMA shapes for the trainer's tests.</summary>
public static class Tiny
{
    public static ModelConfig Config(int hidden = 16, int layers = 2, int heads = 4, int kvHeads = 2, int headDim = 4,
        int ffn = 24, int vocab = 32, bool tied = false) => new()
    {
        Architecture = Architecture.Llama,
        HiddenSize = hidden,
        IntermediateSize = ffn,
        NumLayers = layers,
        NumHeads = heads,
        NumKvHeads = kvHeads,
        HeadDim = headDim,
        VocabSize = vocab,
        RmsNormEps = 1e-5f,
        RopeTheta = 10000f,
        TieWordEmbeddings = tied,
        MaxPositionEmbeddings = 512,
    };
}
