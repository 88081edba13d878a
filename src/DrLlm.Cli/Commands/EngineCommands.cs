using System.CommandLine;
using System.Text.Json;
using DrLlm.Engine.Formats;
using DrLlm.Engine.Model;
using DrLlm.Routing.Routers;

namespace DrLlm.Cli.Commands;

/// <summary><c>drllm logits</c>, <c>drllm generate</c>, <c>drllm init-model</c>: the engine's command-line contract.</summary>
public static class EngineCommands
{
    public static readonly Option<string> Model = new("--model") { Description = "GGUF file or Hugging Face model directory", Required = true };
    public static readonly Option<bool> Mmap = new("--mmap") { Description = "keep weights memory-mapped where their layout allows instead of copying them to huge pages (faster load, slower decode)" };
    public static readonly Option<int> Threads = new("--threads") { Description = "threads for GEMM and attention (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };

    public static void Add(RootCommand root)
    {
        root.Subcommands.Add(LogitsCommand());
        root.Subcommands.Add(GenerateCommand());
        root.Subcommands.Add(InitModelCommand());
    }

    private static readonly Option<string> Tokens = new("--tokens") { Description = "prompt token ids, e.g. 1,2,3", Required = true };
    private static readonly Option<string?> PathOpt = new("--path") { Description = "layer path: block indices to run in order, e.g. 0,1,1,3 (default: every block once)" };

    private static LayerPath ResolvePath(string? text, int blocks) =>
        text is null ? LayerPath.Default(blocks) : LayerPath.Parse(text, blocks);

    private static Command LogitsCommand()
    {
        var outFile = new Option<string?>("--out") { Description = "write the JSON array to this file instead of stdout" };
        var cmd = new Command("logits", "print the last position's logits as a JSON array") { Model, Tokens, PathOpt, outFile, Threads, Mmap };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var tokens = CliErrors.ParseIntList(r.GetValue(Tokens)!, "--tokens");
            using var decoder = Decoder.Load(r.GetValue(Model)!, r.GetValue(Threads), r.GetValue(Mmap));
            var path = ResolvePath(r.GetValue(PathOpt), decoder.Config.NumLayers);
            using var session = decoder.CreateSession();
            var json = JsonSerializer.Serialize(session.Prefill(tokens, path).ToArray());
            if (r.GetValue(outFile) is { } f) File.WriteAllText(f, json);
            else Console.WriteLine(json);
            return 0;
        }));
        return cmd;
    }

    private static Command GenerateCommand()
    {
        var maxNew = new Option<int>("--max-new-tokens") { Description = "tokens to generate at most", DefaultValueFactory = _ => 16 };
        var stop = new Option<string?>("--stop") { Description = "stop token ids (default: the model's EOS ids)" };
        var tokens = new Option<string?>("--tokens") { Description = "prompt token ids, e.g. 1,2,3 (or --prompt)" };
        var prompt = new Option<string?>("--prompt") { Description = "prompt text, tokenized with the model's own tokenizer; the new text is printed" };
        var routers = new Option<string?>("--routers") { Description = "router checkpoint (drllm train-routers): the routers choose the path at prefill; a last line gives it" };
        var cmd = new Command("generate", "greedy generation with a layer path; prints the new token ids as JSON, or the new text with --prompt")
            { Model, tokens, prompt, PathOpt, routers, maxNew, stop, Threads, Mmap };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            string? promptText = r.GetValue(prompt), tokenText = r.GetValue(tokens), routerDir = r.GetValue(routers);
            if ((promptText is null) == (tokenText is null)) throw new ArgumentException("give exactly one of --tokens and --prompt");
            if (routerDir is not null && r.GetValue(PathOpt) is not null) throw new ArgumentException("--path and --routers exclude each other: routers choose the path");
            string modelPath = r.GetValue(Model)!;
            // --prompt: the model's tokenizer (tokenizer.json of the directory, or the GGUF's embedded vocabulary).
            var tokenizer = promptText is null ? null : DrLlm.Engine.Text.TokenizerLoader.Load(modelPath);
            var promptIds = tokenizer?.Encode(promptText!) ?? CliErrors.ParseIntList(tokenText!, "--tokens");
            using var decoder = Decoder.Load(modelPath, r.GetValue(Threads), r.GetValue(Mmap));
            // Past its context the model has no positions to give: without this bound a run with no stop token in
            // sight (or --stop naming none the model emits) would go on until memory ran out, printing nothing.
            if ((long)promptIds.Length + r.GetValue(maxNew) > decoder.Config.MaxPositionEmbeddings)
                throw new ArgumentException($"the prompt ({promptIds.Length} tokens) and --max-new-tokens ({r.GetValue(maxNew)}) exceed the model's context of {decoder.Config.MaxPositionEmbeddings} positions");
            var stops = r.GetValue(stop) is { } s ? CliErrors.ParseIntList(s, "--stop").ToHashSet()
                : decoder.Config.EosTokenIds.Concat(tokenizer?.EosTokenIds ?? []).ToHashSet();
            string Output(int[] ids) => tokenizer is null ? JsonSerializer.Serialize(ids) : tokenizer.Decode(ids);
            using var session = decoder.CreateSession();
            if (routerDir is null)
            {
                var path = ResolvePath(r.GetValue(PathOpt), decoder.Config.NumLayers);
                Console.WriteLine(Output(Generation.Greedy(session, promptIds, path, r.GetValue(maxNew), stops).Tokens));
                return 0;
            }
            var (routerSet, _) = RouterCheckpoint.Load(routerDir, BaseModelIdentity.Of(modelPath, decoder.Config));
            var routed = RoutedInference.Generate(session, routerSet, promptIds, r.GetValue(maxNew), stops);
            Console.WriteLine(Output(routed.Generation.Tokens));
            // The route is the last line, so a script finds it after any number of text lines.
            Console.WriteLine($"routed path: {string.Join(",", routed.Path.Steps)} ({routed.Path.Length} steps, " +
                $"{decoder.Config.NumLayers} blocks; decisions {string.Join(",", routed.Decisions)}); " +
                $"router overhead {routed.RouterSeconds * 1e3:F3} ms of {routed.TotalSeconds * 1e3:F1} ms");
            return 0;
        }));
        return cmd;
    }

    private static Command InitModelCommand()
    {
        var outPath = new Option<string>("--out") { Description = "a .gguf file, or a directory for a Hugging Face checkpoint", Required = true };
        var shape = new Option<string>("--shape") { Description = $"named shape: {string.Join(", ", ModelShapes.ByName.Keys)}, or 'custom' with the options below", DefaultValueFactory = _ => "smollm2-135m" };
        var arch = new Option<string>("--arch") { Description = "custom: llama, qwen2 or qwen3", DefaultValueFactory = _ => "llama" };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 64, Description = "custom: hidden size" };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => 4, Description = "custom: blocks" };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => 4, Description = "custom: attention heads" };
        var kvHeads = new Option<int>("--kv-heads") { DefaultValueFactory = _ => 2, Description = "custom: key/value heads" };
        var ffn = new Option<int>("--ffn") { DefaultValueFactory = _ => 128, Description = "custom: MLP width" };
        var vocab = new Option<int>("--vocab") { DefaultValueFactory = _ => 256, Description = "custom: vocabulary size" };
        var dtype = new Option<string>("--dtype") { Description = "f32, f16, bf16 or q8_0 (GGUF only)", DefaultValueFactory = _ => "f32" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1 };
        var scale = new Option<float>("--scale") { Description = "standard deviation of weights and biases (norms are 1 ± 0.1)", DefaultValueFactory = _ => 0.02f };
        var cmd = new Command("init-model", "write a model with deterministic random weights (benchmarks, tests)")
            { outPath, shape, arch, hidden, layers, heads, kvHeads, ffn, vocab, dtype, seed, scale };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var name = r.GetValue(shape)!;
            ModelConfig config;
            if (name == "custom")
            {
                int h = r.GetValue(hidden), nh = r.GetValue(heads);
                config = new ModelConfig
                {
                    Architecture = r.GetValue(arch) switch
                    {
                        "llama" => Architecture.Llama, "qwen2" => Architecture.Qwen2, "qwen3" => Architecture.Qwen3,
                        var a => throw new ArgumentException($"--arch: '{a}' is not one of llama, qwen2, qwen3"),
                    },
                    HiddenSize = h, NumLayers = r.GetValue(layers), NumHeads = nh, NumKvHeads = r.GetValue(kvHeads),
                    HeadDim = nh > 0 ? h / nh : 0, IntermediateSize = r.GetValue(ffn), VocabSize = r.GetValue(vocab),
                };
            }
            else if (!ModelShapes.ByName.TryGetValue(name, out config!))
                throw new ArgumentException($"--shape: unknown shape '{name}'; known: {string.Join(", ", ModelShapes.ByName.Keys)}, custom");
            config.Validate("--shape");
            var type = r.GetValue(dtype) switch
            {
                "f32" => TensorDType.F32, "f16" => TensorDType.F16, "bf16" => TensorDType.BF16, "q8_0" => TensorDType.Q8_0,
                var t => throw new ArgumentException($"--dtype: '{t}' is not one of f32, f16, bf16, q8_0"),
            };
            // Each tensor is generated when the writer takes it: an 8B shape never exists as f32 in memory (HF writer).
            var weights = RandomInit.Lazy(config, r.GetValue(seed), r.GetValue(scale));
            long parameters = CheckpointSchema.Expected(config).Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));
            var target = r.GetValue(outPath)!;
            if (target.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
            {
                // a file in a folder not made yet: the folder is made, as for a Hugging Face directory
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
                GgufCheckpointWriter.Write(target, config, weights, type);
            }
            else if (type == TensorDType.Q8_0)
                throw new ArgumentException("--dtype q8_0 is a GGUF type; give --out a .gguf file name");
            else HfCheckpointWriter.Write(target, config, weights, type);
            Console.Error.WriteLine($"wrote {target}: {config.Architecture}, {config.NumLayers} blocks, d {config.HiddenSize}, {parameters:N0} parameters, {type}");
            // Say up front whether --prompt can work on it: a GGUF's placeholder vocabulary needs room for the byte
            // tokens (the check is the tokenizer loader's own), and a directory gets no tokenizer at all.
            if (!target.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
                Console.Error.WriteLine($"note: {target} has no tokenizer.json, so no usable tokenizer: give prompts as token ids (--tokens)");
            else
                try { DrLlm.Engine.Text.TokenizerLoader.Load(target); }
                catch (ModelFormatException e) { Console.Error.WriteLine($"note: {e.Message}; a --vocab of at least 248 holds every byte token"); }
            return 0;
        }));
        return cmd;
    }
}
