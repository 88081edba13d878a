using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using DrLlm.Pretrain.Data;
using DrLlm.Pretrain.Training;

namespace DrLlm.Cli.Commands;

/// <summary>
/// <c>drllm pretrain</c>: trains the project's own base model from scratch (issue 4) and writes it, with its tokenizer,
/// as a Hugging Face directory the engine loads. The trainer state sits next to it, so <c>--resume</c> continues exactly.
/// </summary>
public static class PretrainCommands
{
    public static void Add(RootCommand root) => root.Subcommands.Add(PretrainCommand());

    private static Command PretrainCommand()
    {
        var outDir = new Option<string>("--out") { Description = "output directory: exported model (config.json, model.safetensors, tokenizer.json) and trainer-state.bin", Required = true };
        var config = new Option<string?>("--config") { Description = "JSON file with PretrainOptions settings (any subset; names as in PretrainOptions)" };
        var resume = new Option<bool>("--resume") { Description = "continue from OUT/trainer-state.bin with its settings" };
        var steps = new Option<int?>("--steps") { Description = "total optimiser steps (overrides the config; on resume, extends or shortens the run)" };
        var until = new Option<int?>("--until") { Description = "stop (checkpoint and export) after this step; the schedule still runs to --steps, so a later --resume continues the same run" };
        var threads = new Option<int?>("--threads") { Description = "OpenBLAS threads (default: all cores)" };
        var corpusOpt = new Option<string?>("--corpus") { Description = "comma-separated in-domain task families to train on, each optionally with a level range (arith,mcq:3-7); default: all in-domain families, all levels" };
        var answersOnly = new Option<bool?>("--completion-only-loss") { Description = "loss on answer tokens only (true) or on every token (false); overrides the config, and on --resume needs --switch-corpus" };
        var switchCorpus = new Option<bool>("--switch-corpus") { Description = "with --resume: go on with --corpus although the checkpoint was trained on another (a curriculum stage)" };
        var cmd = new Command("pretrain", "train the base model from scratch on synthetic task families; writes a Hugging Face model directory")
            { outDir, config, resume, steps, until, threads, corpusOpt, switchCorpus, answersOnly };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            string dir = r.GetValue(outDir)!;
            string state = Path.Combine(dir, TrainingRun.CheckpointFile);
            int? stepsValue = r.GetValue(steps), threadsValue = r.GetValue(threads);
            bool? answersOnlyValue = r.GetValue(answersOnly);
            PretrainOptions Override(PretrainOptions o) => o with
            {
                Steps = stepsValue ?? o.Steps, Threads = threadsValue ?? o.Threads, CompletionOnlyLoss = answersOnlyValue ?? o.CompletionOnlyLoss,
            };

            ITrainingCorpus corpus = r.GetValue(corpusOpt) is { } names
                ? new TaskFamilyCorpus(names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                : TaskFamilyCorpus.InDomain();
            Pretrainer trainer;
            if (r.GetValue(resume))
            {
                if (r.GetValue(config) is not null) throw new ArgumentException("--resume takes its settings from the checkpoint; drop --config");
                if (r.GetValue(switchCorpus) && r.GetValue(corpusOpt) is null) throw new ArgumentException("--switch-corpus needs --corpus: the corpus to go on with");
                trainer = Pretrainer.Resume(state, corpus, Override, r.GetValue(switchCorpus));
            }
            else
            {
                if (r.GetValue(switchCorpus)) throw new ArgumentException("--switch-corpus applies to --resume only");
                if (File.Exists(state)) throw new ArgumentException($"{state} exists: pass --resume to continue it, or choose another --out");
                trainer = new Pretrainer(Override(ReadOptions(r.GetValue(config))), corpus);
            }
            using (trainer)
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(Path.Combine(dir, "pretrain-options.json"), JsonSerializer.Serialize(trainer.Options, new JsonSerializerOptions { WriteIndented = true }));
                var o = trainer.Options;
                var c = trainer.Model.Config;
                int blasThreads = o.Threads > 0 ? o.Threads : Environment.ProcessorCount;
                Console.WriteLine($"pretrain: {trainer.Model.Layout.ParameterCount:N0} parameters (d {c.HiddenSize}, {c.NumLayers} blocks, " +
                    $"{c.NumHeads} heads / {c.NumKvHeads} KV, FFN {c.IntermediateSize}, vocab {c.VocabSize}), batch {o.Batch}×{o.SeqLen} tokens" +
                    $" ×{o.GradAccumulation}, corpus {corpus.Name}, {blasThreads} threads{(o.LayerDrop > 0 ? $", layer drop {o.LayerDrop} at the last block" : "")}, " +
                    $"{(trainer.Step > 0 ? $"resuming at step {trainer.Step}" : "from scratch")} to step {o.Steps}");

                using var cancel = new CancellationTokenSource();
                ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); Console.WriteLine("stopping after this step (Ctrl+C again to abort)…"); };
                Console.CancelKeyPress += onCancel;
                TrainingSummary s;
                try { s = TrainingRun.Run(trainer, dir, Console.WriteLine, cancel.Token, r.GetValue(until)); }
                finally { Console.CancelKeyPress -= onCancel; }

                double peak = DrLlm.Engine.Kernels.Blas.MeasureGflops(trainer.Model.Pool);
                Console.WriteLine($"throughput: steps {s.FirstStep + 1}-{s.LastStep}, {s.Tokens:N0} tokens in {s.Seconds:F1} s = {s.TokensPerSecond:N0} tok/s; " +
                    $"{s.Gflops:F1} GFLOP/s ({s.FlopsPerToken / 1e6:F1} MFLOP/token: 6·matmul params + attention) = " +
                    $"{100 * s.Gflops / peak:F0}% of the {blasThreads}-thread GEMM peak ({peak:F0} GFLOP/s, 2048³ sgemm)");
            }
            return 0;
        }));
        return cmd;
    }

    private static PretrainOptions ReadOptions(string? path)
    {
        if (path is null) return new PretrainOptions();
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: config file not found");
        try
        {
            return JsonSerializer.Deserialize<PretrainOptions>(File.ReadAllText(path), new JsonSerializerOptions
            {
                PropertyNameCaseInsensitive = true,
                UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
                ReadCommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            }) ?? throw new ArgumentException($"{path}: config is null");
        }
        catch (JsonException e) { throw new ArgumentException($"{path}: {e.Message}", e); }
    }
}
