using DrLlm.Engine.Formats;
using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>
/// A loaded decoder: config, f32 weights and the rope table. Stateless apart from those; all per-sequence state (KV cache
/// per path step, hidden states per step, scratch) lives in an <see cref="InferenceSession"/>, one per thread of use.
/// </summary>
public sealed class Decoder : IDisposable
{
    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    /// <summary>Threads OpenBLAS uses for every matrix product (linear layers and attention).</summary>
    public int Threads { get; }
    internal float[] InvFreq { get; }

    public Decoder(ModelWeights weights, int threads = 0)
    {
        Blas.EnsureAvailable();
        Weights = weights;
        Config = weights.Config;
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        Blas.SetThreads(Threads);
        InvFreq = RopeFrequencies.Compute(Config);
    }

    /// <summary>Opens a GGUF file or a Hugging Face directory and loads its weights as f32.</summary>
    public static Decoder Load(string path, int threads = 0) =>
        new(ModelWeights.FromCheckpoint(CheckpointLoader.Open(path)), threads);

    public InferenceSession CreateSession() => new(this);

    public void Dispose() => Weights.Dispose();
}
