using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace DrLlm.Engine.Tests.Reference;

/// <summary>
/// llama.cpp (the prebuilt CPU build in the reference cache) loaded with one GGUF, as an independent
/// implementation to compare logits and speed against. A thin wrapper over tools/llamacpp-ref/llamaref.h,
/// which <see cref="Ensure"/> compiles with gcc on first use. Not thread-safe per instance: calls are serialised.
/// <code>
/// using var m = LlamaCppReference.Load(path, threads: 2);
/// float[] logits = m.LogitsAll([1, 2, 3]); // 3 * m.VocabSize, row i = logits after token i
/// </code>
/// Set LLAMAREF_LOG=1 to see llama.cpp's own log on stderr. tools/llamacpp-ref/README.md says how exact it is
/// (F32 weights: ~1e-6 of a float64 forward; F16/BF16/Q8_0 weights: activations rounded to that type too).
/// </summary>
public sealed unsafe class LlamaCppReference : IDisposable
{
    /// <summary>The exported functions of libllamaref.so.</summary>
    sealed class Shim
    {
        public readonly string Folder;
        public readonly delegate* unmanaged<byte*, int, int, nint> Load;
        public readonly delegate* unmanaged<nint, int> NVocab;
        public readonly delegate* unmanaged<nint, int> NCtx;
        public readonly delegate* unmanaged<nint, int*, int, float*, int> LogitsAll;
        public readonly delegate* unmanaged<nint, int, int, double*, double*, int> Bench;
        public readonly delegate* unmanaged<byte*> LastError;
        public readonly delegate* unmanaged<nint, void> Free;
        public readonly delegate* unmanaged<byte*, byte*, int, int, int> Quantize;

        public Shim(string folder)
        {
            Folder = folder;
            var lib = NativeLibrary.Load(Path.Combine(folder, "libllamaref.so"));
            Load = (delegate* unmanaged<byte*, int, int, nint>)NativeLibrary.GetExport(lib, "lr_load");
            NVocab = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "lr_n_vocab");
            NCtx = (delegate* unmanaged<nint, int>)NativeLibrary.GetExport(lib, "lr_n_ctx");
            LogitsAll = (delegate* unmanaged<nint, int*, int, float*, int>)NativeLibrary.GetExport(lib, "lr_logits_all");
            Bench = (delegate* unmanaged<nint, int, int, double*, double*, int>)NativeLibrary.GetExport(lib, "lr_bench");
            LastError = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(lib, "lr_last_error");
            Free = (delegate* unmanaged<nint, void>)NativeLibrary.GetExport(lib, "lr_free");
            Quantize = (delegate* unmanaged<byte*, byte*, int, int, int>)NativeLibrary.GetExport(lib, "lr_quantize");
        }

        /// <summary>lr_last_error of this thread; read it right after the failing call.</summary>
        public string Error() => Marshal.PtrToStringUTF8((nint)LastError()) ?? "";
    }

    static readonly Lazy<Shim> TheShim = new(() => new Shim(Build(ReferenceCache.CacheDir)));

    /// <summary>
    /// Fetches the reference material if the cache lacks it, compiles the shim if its sources changed, loads
    /// it into this process, and returns the folder holding libllamaref.so and llamaref-bench.
    /// A failure (no gcc, a compile error) throws with the build's output, and keeps throwing in this process.
    /// </summary>
    public static string Ensure() => TheShim.Value.Folder;

    /// <summary>
    /// Runs tools/llamacpp-ref/build.sh for <paramref name="cacheDir"/> (fetching into it if needed) and
    /// returns the folder it built; <paramref name="environment"/> adds variables (e.g. CC) for the build.
    /// </summary>
    public static string Build(string cacheDir, IReadOnlyDictionary<string, string>? environment = null)
    {
        var script = Path.Combine(ReferenceCache.RepoRoot, "tools", "llamacpp-ref", "build.sh");
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(cacheDir);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;

        using var proc = Process.Start(psi) ?? throw new InvalidOperationException($"could not start bash {script}");
        var stderr = proc.StandardError.ReadToEndAsync();
        var stdout = proc.StandardOutput.ReadToEnd();
        proc.WaitForExit();
        if (proc.ExitCode != 0)
            throw new InvalidOperationException(
                $"{script} {cacheDir} failed with exit code {proc.ExitCode} building the llama.cpp reference shim:\n{stderr.Result}{stdout}");
        var folder = stdout.TrimEnd().Split('\n')[^1];
        if (!File.Exists(Path.Combine(folder, "libllamaref.so")))
            throw new InvalidOperationException($"{script} printed '{folder}', which holds no libllamaref.so:\n{stderr.Result}{stdout}");
        return folder;
    }

    readonly Shim _shim;
    readonly Lock _lock = new();
    nint _handle;

    /// <summary>Columns of a logits row.</summary>
    public int VocabSize { get; }
    /// <summary>The most tokens one <see cref="LogitsAll"/> call takes, and the bound on prompt + generated in <see cref="Bench"/>.</summary>
    public int ContextSize { get; }
    /// <summary>Full path of the GGUF file.</summary>
    public string ModelPath { get; }

    LlamaCppReference(Shim shim, nint handle, string path)
    {
        _shim = shim;
        _handle = handle;
        ModelPath = path;
        VocabSize = shim.NVocab(handle);
        ContextSize = shim.NCtx(handle);
    }

    /// <summary>
    /// Loads <paramref name="ggufPath"/> fully into memory (the file may be deleted afterwards) with an F32 KV
    /// cache and flash attention off; <paramref name="contextSize"/> tokens fit in one batch.
    /// Throws <see cref="InvalidOperationException"/> with llama.cpp's error when it rejects the file.
    /// </summary>
    public static LlamaCppReference Load(string ggufPath, int threads = 2, int contextSize = 256)
    {
        var shim = TheShim.Value;
        var path = Path.GetFullPath(ggufPath);
        var bytes = Encoding.UTF8.GetBytes(path + "\0");
        nint handle;
        fixed (byte* p = bytes)
            handle = shim.Load(p, threads, contextSize);
        if (handle == 0)
            throw new InvalidOperationException(shim.Error());
        return new LlamaCppReference(shim, handle, path);
    }

    /// <summary>llama_ftype numbers (llama.h) for <see cref="Quantize"/>.</summary>
    public const int Q8_0 = 7, Q4_K_M = 15;

    /// <summary>
    /// Writes <paramref name="output"/>: <paramref name="input"/> quantised by llama.cpp's own quantiser to the
    /// llama_ftype <paramref name="ftype"/> (<see cref="Q8_0"/>, <see cref="Q4_K_M"/>), with its own choice of type per tensor.
    /// </summary>
    public static void Quantize(string input, string output, int ftype)
    {
        var shim = TheShim.Value;
        var a = Encoding.UTF8.GetBytes(Path.GetFullPath(input) + "\0");
        var b = Encoding.UTF8.GetBytes(Path.GetFullPath(output) + "\0");
        fixed (byte* pa = a) fixed (byte* pb = b)
            if (shim.Quantize(pa, pb, ftype, 2) != 0) throw new InvalidOperationException(shim.Error());
    }

    /// <summary>Logits after each of <paramref name="tokens"/> (positions 0..n-1, fresh KV cache): n * <see cref="VocabSize"/> floats, row-major.</summary>
    public float[] LogitsAll(ReadOnlySpan<int> tokens)
    {
        if (tokens.Length < 1 || tokens.Length > ContextSize)
            throw new ArgumentException($"need 1 to {ContextSize} tokens (the context size {ModelPath} was loaded with), got {tokens.Length}", nameof(tokens));
        var logits = new float[(long)tokens.Length * VocabSize];
        lock (_lock)
        {
            fixed (int* t = tokens)
            fixed (float* o = logits)
                Check(_shim.LogitsAll(Handle, t, tokens.Length, o));
        }
        return logits;
    }

    /// <summary>Logits after the last of <paramref name="tokens"/>: <see cref="VocabSize"/> floats.</summary>
    public float[] LastLogits(ReadOnlySpan<int> tokens) => LogitsAll(tokens)[^VocabSize..];

    /// <summary>
    /// One timed run: prefill <paramref name="nPrompt"/> fixed pseudo-random tokens in one batch, then
    /// <paramref name="nGen"/> greedy single-token decode steps. Wall-clock seconds of each phase.
    /// </summary>
    public (double PrefillSeconds, double DecodeSeconds) Bench(int nPrompt, int nGen)
    {
        double prefill, decode;
        lock (_lock)
            Check(_shim.Bench(Handle, nPrompt, nGen, &prefill, &decode));
        return (prefill, decode);
    }

    nint Handle => _handle != 0 ? _handle : throw new ObjectDisposedException(nameof(LlamaCppReference), $"{ModelPath} was disposed");

    void Check(int rc)
    {
        if (rc != 0) throw new InvalidOperationException($"{ModelPath}: {_shim.Error()}");
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_handle == 0) return;
            _shim.Free(_handle);
            _handle = 0;
        }
    }
}
