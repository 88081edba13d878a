using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using DrLlm.Engine.Text;

namespace DrLlm.Cli.Commands;

/// <summary><c>drllm tokenize</c>, <c>drllm detokenize</c> and <c>drllm bench tokenizer</c>.</summary>
public static class TextCommands
{
    static readonly Option<string> TokenizerPath = new("--tokenizer") { Description = "tokenizer.json, a Hugging Face model directory or a GGUF file", Required = true };

    public static void Add(RootCommand root)
    {
        var text = new Option<string>("--text") { Description = "text to tokenize (added/special tokens written in it become single ids)", Required = true };
        var noSpecial = new Option<bool>("--no-special") { Description = "do not add the model's BOS/EOS" };
        var tokenize = new Command("tokenize", "print the token ids of a text as a JSON array") { TokenizerPath, text, noSpecial };
        tokenize.SetAction(r => CliErrors.Run(() =>
        {
            var t = TokenizerLoader.Load(r.GetValue(TokenizerPath)!);
            Console.WriteLine(JsonSerializer.Serialize(t.Encode(r.GetValue(text)!, !r.GetValue(noSpecial))));
            return 0;
        }));
        root.Subcommands.Add(tokenize);

        var ids = new Option<string>("--ids") { Description = "token ids, e.g. 1,2,3", Required = true };
        var skip = new Option<bool>("--skip-special") { Description = "leave special tokens out of the text" };
        var detokenize = new Command("detokenize", "print the text of token ids") { TokenizerPath, ids, skip };
        detokenize.SetAction(r => CliErrors.Run(() =>
        {
            var t = TokenizerLoader.Load(r.GetValue(TokenizerPath)!);
            Console.WriteLine(t.Decode(CliErrors.ParseIntList(r.GetValue(ids)!, "--ids"), r.GetValue(skip)));
            return 0;
        }));
        root.Subcommands.Add(detokenize);
    }

    /// <summary><c>drllm bench tokenizer</c>: encoding MB/s (UTF-8 bytes of input) on generated mixed text.</summary>
    public static Command BenchTokenizerCommand()
    {
        var mb = new Option<double>("--mb") { Description = "megabytes of text to encode", DefaultValueFactory = _ => 4 };
        var cmd = new Command("tokenizer", "encoding speed on mixed text (prose, code, numbers, non-Latin), one JSON line") { TokenizerPath, mb };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            double megabytes = r.GetValue(mb);
            if (megabytes <= 0) throw new ArgumentException("--mb must be > 0");
            var load = Stopwatch.StartNew();
            var t = TokenizerLoader.Load(r.GetValue(TokenizerPath)!);
            double loadSec = load.Elapsed.TotalSeconds;
            var docs = BenchText.Documents((long)(megabytes * 1e6), seed: 1);
            var warmup = BenchText.Documents(200_000, seed: 2);
            foreach (var d in warmup) t.Encode(d); // JIT; the word cache starts from these other documents
            long bytes = docs.Sum(d => (long)Encoding.UTF8.GetByteCount(d)), tokens = 0;
            var sw = Stopwatch.StartNew();
            foreach (var d in docs) tokens += t.Encode(d).Length;
            double sec = sw.Elapsed.TotalSeconds;
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                tokenizer = r.GetValue(TokenizerPath),
                mb = Math.Round(bytes / 1e6, 2),
                documents = docs.Count,
                tokens,
                bytes_per_token = Math.Round((double)bytes / tokens, 2),
                mb_s = Math.Round(bytes / 1e6 / sec, 2),
                load_s = Math.Round(loadSec, 2),
            }));
            return 0;
        }));
        return cmd;
    }
}
