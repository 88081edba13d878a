using System.Text;
using DrLlm.Engine.Tests.Reference;

namespace DrLlm.Engine.Tests.Text;

/// <summary>
/// The reference tokenizations llama.cpp ships beside its vocab-only GGUFs (models/ggml-vocab-*.gguf.inp/.out, read
/// as tests/test-tokenizer-0.cpp reads them: inputs separated by "\n__ggml_vocab_test__\n", one line of ids per input).
/// </summary>
public static class VocabCases
{
    static readonly object Gate = new();

    /// <summary>The reference cache's npm folder, fetched with deploy/fetch-references.sh when missing.</summary>
    public static string NpmDir
    {
        get
        {
            lock (Gate)
            {
                var dir = Path.Combine(ReferenceCache.CacheDir, "npm");
                if (!File.Exists(Path.Combine(dir, "llama-src", ".done")) || !File.Exists(Path.Combine(dir, "tokenizer-qwen3", ".done")))
                {
                    var psi = new System.Diagnostics.ProcessStartInfo("bash", [Path.Combine(ReferenceCache.RepoRoot, "deploy", "fetch-references.sh"), ReferenceCache.CacheDir])
                        { RedirectStandardOutput = true, RedirectStandardError = true };
                    using var p = System.Diagnostics.Process.Start(psi)!;
                    string err = p.StandardError.ReadToEnd();
                    p.WaitForExit();
                    if (p.ExitCode != 0) throw new InvalidOperationException($"deploy/fetch-references.sh failed: {err}");
                }
                return dir;
            }
        }
    }

    public static string Gguf(string name) => Path.Combine(NpmDir, "llama-src", "models", $"ggml-vocab-{name}.gguf");

    public static string TokenizerJson(string family) => Path.Combine(NpmDir, $"tokenizer-{family}", "package", "models", "tokenizer.json");

    public static IReadOnlyList<(string Text, int[] Ids)> Load(string name)
    {
        var raw = File.ReadAllText(Gguf(name) + ".inp", Encoding.UTF8);
        const string sep = "\n__ggml_vocab_test__\n";
        var inputs = new List<string>();
        int pos = 0;
        while (pos < raw.Length)
        {
            int next = raw.IndexOf(sep, pos, StringComparison.Ordinal);
            if (next < 0) { inputs.Add(raw[pos..]); break; }
            inputs.Add(raw[pos..next]);
            pos = next + sep.Length;
        }
        var outputs = File.ReadAllLines(Gguf(name) + ".out");
        Assert.Equal(inputs.Count, outputs.Length);
        return inputs.Select((t, i) => (t, outputs[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())).ToList();
    }
}
