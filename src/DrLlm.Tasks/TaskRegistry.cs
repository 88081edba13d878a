using DrLlm.Tasks.Loading;
using DrLlm.Tasks.Synthetic;

namespace DrLlm.Tasks;

/// <summary>
/// A task family the registry knows: a synthetic generator, or a benchmark loader that needs a file.
/// In-domain families are the ones training mixes draw from (the paper trains on ARC and DART); out-of-domain ones
/// are held out for evaluation (the paper's MMLU, GSM8K, …). <see cref="Grading"/> is null where the file's field
/// mapping decides it (generic).
/// </summary>
public sealed record FamilyInfo(string Name, bool InDomain, Grading? Grading, int? MinLevel, int? MaxLevel, bool NeedsFile, string Description);

/// <summary>Where items come from, once a task name is resolved.</summary>
public interface ITaskSource
{
    string Name { get; }

    /// <summary>
    /// Up to <paramref name="n"/> items of a split. Synthetic: items 0..n-1 of the split for generator seed
    /// <paramref name="seed"/>. File: the file is one split (its <see cref="LoadOptions.Split"/>; asking for another is
    /// an error); all items when n ≥ their count, else a seeded choice of n, kept in file order.
    /// </summary>
    IReadOnlyList<TaskItem> Sample(string split, int n, int seed = 0);
}

/// <summary>
/// Names → task sources. Synthetic families by name ("arith", "mcq", "ood-count", "ood-order"); files as
/// "arc:FILE", "dart:FILE", "gsm8k:FILE", "mmlu:FILE", the paper's other out-of-domain benchmarks "aime:FILE",
/// "truthfulqa-mc1:FILE", "squadv2:FILE", "gpqa:FILE", "piqa:FILE", "agieval:FILE", and
/// "generic:FILE?question=…&amp;choices=…&amp;answer=…"
/// (see <see cref="GenericSpec"/>); the file may also come separately (<c>--file</c>).
/// </summary>
public static class TaskRegistry
{
    public static readonly IReadOnlyList<SyntheticFamily> Synthetic =
        [new ArithFamily(), new McqFamily(), new OodCountFamily(), new OodOrderFamily()];

    private static readonly FamilyInfo[] FileFamilies =
    [
        new("arc", true, Grading.MultipleChoiceLetter, null, null, true, "ARC-Easy/Challenge (AI2 JSONL or Hugging Face rows); the paper's in-domain multiple choice"),
        new("dart", true, Grading.MathAnswer, 1, 5, true, "DART-Math / MATH rows (query, gt_ans, level); the paper's in-domain math"),
        new("gsm8k", false, Grading.MathAnswer, null, null, true, "GSM8K (question, answer ending '#### n'); out of domain"),
        new("mmlu", false, Grading.MultipleChoiceLetter, null, null, true, "MMLU (JSON question/choices/answer, or CSV question,A,B,C,D,answer); out of domain"),
        new("aime", false, Grading.MathAnswer, null, null, true, "AIME (problem, integer answer 0-999; the HF exports' spellings); out of domain"),
        new("truthfulqa-mc1", false, Grading.MultipleChoiceLetter, null, null, true, "TruthfulQA MC1 (question, mc1_targets; HF rows or mc_task.json), options shuffled per question; out of domain"),
        new("squadv2", false, Grading.ExtractiveSpan, null, null, true, "SQuAD v2 (context, question, answers; HF rows or the release's JSON), EM and F1; out of domain"),
        new("gpqa", false, Grading.MultipleChoiceLetter, null, null, true, "GPQA (Question, Correct Answer, Incorrect Answer 1-3; CSV or JSON), options shuffled per Record ID; out of domain"),
        new("piqa", false, Grading.MultipleChoiceLetter, null, null, true, "PIQA (goal, sol1, sol2, label; or the release's FILE-labels.lst), two options; out of domain"),
        new("agieval", false, Grading.MultipleChoiceLetter, null, null, true, "AGIEval English MC subsets (passage, question, options, label; or the harness's query/choices/gold); out of domain"),
        new("generic", false, null, null, null, true, "any JSON/JSONL/CSV set: generic:FILE?question=F&choices=F&answer=F[&grading=mc|math]"),
    ];

    public static IReadOnlyList<FamilyInfo> Families =>
        [.. Synthetic.Select(f => new FamilyInfo(f.Name, f.InDomain, f.Grading, f.MinLevel, f.MaxLevel, false, f.Description)), .. FileFamilies];

    public static SyntheticFamily? FindSynthetic(string name) => Synthetic.FirstOrDefault(f => f.Name == name);

    /// <summary>Resolves a task name (and optionally a file given apart from it) to an item source.</summary>
    public static ITaskSource Resolve(string name, string? file = null, LoadOptions? options = null)
    {
        if (FindSynthetic(name) is { } family)
        {
            if (file is not null) throw new ArgumentException($"task '{name}' is synthetic and takes no file");
            return new SyntheticSource(family);
        }
        int colon = name.IndexOf(':');
        var kind = colon < 0 ? name : name[..colon];
        var rest = colon < 0 ? "" : name[(colon + 1)..];
        string query = "";
        if (kind == "generic" && rest.IndexOf('?') is var q and >= 0) { query = rest[(q + 1)..]; rest = rest[..q]; }
        if (rest.Length > 0 && file is not null && rest != file) throw new ArgumentException($"task '{name}' names a file and --file gives another ('{file}')");
        var path = rest.Length > 0 ? rest : file;
        if (FileFamilies.All(f => f.Name != kind))
            throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", Families.Select(f => f.NeedsFile ? f.Name + ":FILE" : f.Name))})");
        if (string.IsNullOrEmpty(path)) throw new ArgumentException($"task '{kind}' needs a file: '{kind}:FILE' or --file FILE");
        var opts = options ?? new LoadOptions();
        return kind switch
        {
            "arc" => new FileSource(kind, path, opts, () => BenchmarkLoaders.Arc(path, opts)),
            "dart" => new FileSource(kind, path, opts, () => BenchmarkLoaders.Dart(path, opts)),
            "gsm8k" => new FileSource(kind, path, opts, () => BenchmarkLoaders.Gsm8k(path, opts)),
            "mmlu" => new FileSource(kind, path, opts, () => BenchmarkLoaders.Mmlu(path, opts)),
            "aime" => new FileSource(kind, path, opts, () => BenchmarkLoaders.Aime(path, opts)),
            "truthfulqa-mc1" => new FileSource(kind, path, opts, () => BenchmarkLoaders.TruthfulQaMc1(path, opts)),
            "squadv2" => new FileSource(kind, path, opts, () => BenchmarkLoaders.SquadV2(path, opts)),
            "gpqa" => new FileSource(kind, path, opts, () => BenchmarkLoaders.Gpqa(path, opts)),
            "piqa" => new FileSource(kind, path, opts, () => BenchmarkLoaders.Piqa(path, opts)),
            "agieval" => new FileSource(kind, path, opts, () => BenchmarkLoaders.AgiEval(path, opts)),
            _ => new FileSource(kind, path, opts, () => GenericLoader.Load(path, GenericSpec.Parse(query), opts)),
        };
    }

    private sealed class SyntheticSource(SyntheticFamily family) : ITaskSource
    {
        public string Name => family.Name;
        public IReadOnlyList<TaskItem> Sample(string split, int n, int seed = 0) => [.. family.Items(split, seed).Take(n)];
    }

    /// <summary>
    /// A file loaded once, on first use. <see cref="Loaded"/> tells what was skipped. A file that yields no item (empty,
    /// a header alone, or every row skipped) is refused when sampled, naming it: an evaluation or search of nothing would
    /// report n 0 and accuracy 0 as if it had measured something.
    /// </summary>
    public sealed class FileSource(string name, string path, LoadOptions options, Func<LoadResult> load) : ITaskSource
    {
        private LoadResult? _loaded;
        public string Name => name;
        public LoadResult Loaded => _loaded ??= load();

        public IReadOnlyList<TaskItem> Sample(string split, int n, int seed = 0)
        {
            if (split != options.Split) throw new ArgumentException($"task '{name}': the file holds split '{options.Split}', not '{split}'");
            var items = Loaded.Items;
            if (items.Count == 0)
                throw new FormatException(Loaded.Skipped > 0
                    ? $"{path}: no usable {name} items: all {Loaded.Skipped} rows were skipped ({Loaded.SkipSummary})"
                    : $"{path}: no {name} items: the file is empty or holds only a header");
            if (n >= items.Count) return items;
            var rng = new SeededRandom(SeededRandom.Hash("sample", name, seed.ToString()));
            return [.. rng.Shuffled(Enumerable.Range(0, items.Count)).Take(n).Order().Select(i => items[i])];
        }
    }
}
