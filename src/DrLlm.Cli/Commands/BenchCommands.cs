using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using DrLlm.Engine.Kernels;
using DrLlm.Engine.Model;

namespace DrLlm.Cli.Commands;

/// <summary><c>drllm bench engine</c> and <c>drllm bench gemm</c>: figures, printed as one JSON line each.</summary>
public static class BenchCommands
{
    public static void Add(RootCommand root)
    {
        var bench = new Command("bench", "speed measurements");
        bench.Subcommands.Add(EngineCommand());
        bench.Subcommands.Add(GemmCommand());
        bench.Subcommands.Add(MemoryCommand());
        bench.Subcommands.Add(TextCommands.BenchTokenizerCommand());
        root.Subcommands.Add(bench);
    }

    private static Command EngineCommand()
    {
        var prompt = new Option<int>("--prompt-tokens") { DefaultValueFactory = _ => 128 };
        var gen = new Option<int>("--gen-tokens") { DefaultValueFactory = _ => 32 };
        var reps = new Option<int>("--repeats") { Description = "timed runs after one warm-up; the median is reported", DefaultValueFactory = _ => 3 };
        var cmd = new Command("engine", "prefill and decode tokens/s on a model (random prompt, default path)")
            { EngineCommands.Model, prompt, gen, EngineCommands.Threads, reps, EngineCommands.Mmap };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            int nPrompt = r.GetValue(prompt), nGen = r.GetValue(gen), threads = r.GetValue(EngineCommands.Threads);
            if (nPrompt < 1 || nGen < 1) throw new ArgumentException("--prompt-tokens and --gen-tokens must be ≥ 1");
            var load = Stopwatch.StartNew();
            using var decoder = Decoder.Load(r.GetValue(EngineCommands.Model)!, threads, r.GetValue(EngineCommands.Mmap));
            double loadSec = load.Elapsed.TotalSeconds;
            var c = decoder.Config;
            var rng = new Random(42);
            var path = LayerPath.Default(c.NumLayers);
            var prefill = new List<double>();
            var decode = new List<double>();
            for (int rep = 0; rep <= r.GetValue(reps); rep++)
            {
                // A fresh session per run: a stored prefill of the same prompt would be reused, not recomputed.
                using var s = decoder.CreateSession();
                var tokens = Enumerable.Range(0, nPrompt).Select(_ => rng.Next(c.VocabSize)).ToArray();
                var sw = Stopwatch.StartNew();
                var logits = s.Prefill(tokens, path);
                double tp = sw.Elapsed.TotalSeconds;
                int next = Ops.Argmax(logits);
                sw.Restart();
                for (int i = 0; i < nGen; i++) next = Ops.Argmax(s.DecodeStep(next));
                double td = sw.Elapsed.TotalSeconds;
                if (rep == 0) continue; // warm-up: JIT, page faults of mapped weights, OpenBLAS thread start
                prefill.Add(tp);
                decode.Add(td);
            }
            double pMed = Median(prefill), dMed = Median(decode);
            var wts = decoder.Weights;
            // Bytes of weights one decoded token reads: every block's matrices and the LM head (the embedding row is one row).
            long perToken = wts.LmHead.Bytes;
            for (int l = 0; l < c.NumLayers; l++)
            {
                ref readonly var b = ref wts.Block(l);
                perToken += b.Wq.Bytes + b.Wk.Bytes + b.Wv.Bytes + b.Wo.Bytes + b.WGate.Bytes + b.WUp.Bytes + b.WDown.Bytes;
            }
            long linearParams = (long)c.NumLayers * ((long)c.HiddenSize * (2L * c.QDim + 2L * c.KvDim) + 3L * c.HiddenSize * c.IntermediateSize);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                engine = "drllm",
                model = r.GetValue(EngineCommands.Model),
                threads,
                mmap = r.GetValue(EngineCommands.Mmap),
                prompt_tokens = nPrompt,
                gen_tokens = nGen,
                prefill_tok_s = Math.Round(nPrompt / pMed, 2),
                decode_tok_s = Math.Round(nGen / dMed, 2),
                // 2 FLOPs per weight per token in the blocks' linear layers (attention scores and LM head excluded).
                prefill_block_gflop_s = Math.Round(2.0 * linearParams * nPrompt / pMed / 1e9, 1),
                load_s = Math.Round(loadSec, 2),
                weight_types = wts.TypeSummary,
                weights_mb = Math.Round((wts.OwnedBytes + wts.MappedBytes) / 1048576.0, 1),
                // decode as a stream of the weights: bytes read per token × tokens per second
                decode_weight_gb_s = Math.Round(perToken * nGen / dMed / 1e9, 1),
                rss_mb = Math.Round(StatusBytes("VmRSS:") / 1048576.0, 1),
                max_rss_mb = Math.Round(StatusBytes("VmHWM:") / 1048576.0, 1),
            }));
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// A size from /proc/self/status (Linux): VmRSS the resident set now, VmHWM its peak (what getrusage's ru_maxrss
    /// reports); -1 elsewhere.
    /// </summary>
    private static long StatusBytes(string field)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException) { }
        return -1;
    }

    private static Command GemmCommand()
    {
        var size = new Option<int>("--size") { DefaultValueFactory = _ => 2048, Description = "square matrix size n (n×n · n×n)" };
        var cmd = new Command("gemm", "GFLOP/s of the engine's matmul (single-threaded OpenBLAS sgemm split by columns over the threads), median of 5") { size, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            int n = r.GetValue(size), threads = r.GetValue(EngineCommands.Threads);
            // n² floats per matrix must fit an array; OpenBLAS itself would only print a warning and measure nothing.
            if (n is < 1 or > 16384) throw new ArgumentException($"--size must be in 1..16384, got {n}");
            using var pool = new WorkerPool(threads > 0 ? threads : Environment.ProcessorCount);
            Console.WriteLine(JsonSerializer.Serialize(new { kernel = "cblas_sgemm", n, threads = pool.Threads, gflop_s = Math.Round(Blas.MeasureGflops(pool, n), 1) }));
            return 0;
        }));
        return cmd;
    }

    private static Command MemoryCommand()
    {
        var mb = new Option<int>("--mb") { DefaultValueFactory = _ => 1024, Description = "buffer size in MiB (well above the caches)" };
        var cmd = new Command("memory", "read bandwidth of memory (GB/s summing a buffer on huge pages over the threads), median of 5: the ceiling of decode's weight stream") { mb, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            int size = r.GetValue(mb), threads = r.GetValue(EngineCommands.Threads);
            if (size is < 64 or > 65536) throw new ArgumentException($"--mb must be in 64..65536, got {size}");
            using var pool = new WorkerPool(threads > 0 ? threads : Environment.ProcessorCount);
            double gbs = Gemv.MeasureReadGbPerSecond(pool, (long)size << 20);
            Console.WriteLine(JsonSerializer.Serialize(new { kernel = "read", mb = size, threads = pool.Threads, gb_s = Math.Round(gbs, 1) }));
            return 0;
        }));
        return cmd;
    }

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
