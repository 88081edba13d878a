using DrLlm.Engine.Formats;
using DrLlm.Engine.Kernels;

namespace DrLlm.Engine.Model;

/// <summary>
/// A loaded decoder: config, weights (as stored) and the rope table. Stateless apart from those; all per-sequence state (KV cache
/// per path step, hidden states per step, scratch) lives in an <see cref="InferenceSession"/>, one per thread of use.
/// </summary>
public sealed class Decoder : IDisposable
{
    public ModelConfig Config { get; }
    public ModelWeights Weights { get; }
    /// <summary>Threads of this model's pool, which runs every matrix product: prompt chunks' GEMMs split by columns,
    /// attention split by heads, decode GEMVs split by rows. Results do not depend on it.</summary>
    public int Threads { get; }
    internal float[] InvFreq { get; }
    internal WorkerPool Pool { get; }

    public Decoder(ModelWeights weights, int threads = 0)
    {
        Blas.EnsureAvailable();
        Weights = weights;
        Config = weights.Config;
        Threads = threads > 0 ? threads : Environment.ProcessorCount;
        InvFreq = RopeFrequencies.Compute(Config);
        Pool = new WorkerPool(Threads);
    }

    /// <summary>
    /// Opens a GGUF file or a Hugging Face directory and loads its weights in their stored types; <paramref name="map"/>
    /// leaves them memory-mapped where the layout allows instead of copying them (see <see cref="ModelWeights"/>).
    /// </summary>
    public static Decoder Load(string path, int threads = 0, bool map = false) =>
        new(ModelWeights.FromCheckpoint(CheckpointLoader.Open(path), map), threads);

    public InferenceSession CreateSession() => new(this);

    public void Dispose()
    {
        Pool.Dispose();
        Weights.Dispose();
    }
}
