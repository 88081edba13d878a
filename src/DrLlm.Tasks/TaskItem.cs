namespace DrLlm.Tasks;

/// <summary>How an answer is checked (METHOD.md, "evaluation of a path": letter match or math-equivalence).</summary>
public enum Grading
{
    /// <summary>The output names one option letter (A, B, …); correct when it is <see cref="TaskItem.Gold"/>.</summary>
    MultipleChoiceLetter,
    /// <summary>The output's final answer (\boxed{…} or a number) is mathematically equivalent to <see cref="TaskItem.Gold"/>.</summary>
    MathAnswer,
    /// <summary>
    /// The output is a short span answering a question about <see cref="TaskItem.Passage"/> (SQuAD v2), or "unanswerable";
    /// scored by exact match and token F1 against every one of <see cref="TaskItem.Answers"/> (the best counts), correct
    /// when it matches one exactly (<see cref="Graders.SpanAnswer"/>).
    /// </summary>
    ExtractiveSpan,
}

/// <summary>
/// Which prompt layout an item uses. Benchmarks use the paper's layout (a question, lettered options, an instruction,
/// "Answer:"); synthetic families use a compact one-line layout so a tiny byte-level model trained from scratch sees
/// short sequences (see <see cref="Prompts.TaskPrompts"/>).
/// </summary>
public enum PromptLayout
{
    Paper,
    Compact,
}

/// <summary>
/// One benchmark question, from a file or from a synthetic generator. Everything needed to prompt and grade it
/// travels with the item, so it can be stored (a database row, a JSON line) and graded later without its source.
/// </summary>
/// <param name="Id">Unique within its task: the file's id field, or family/seed/split/index for synthetic items.</param>
/// <param name="Task">Family or benchmark name: "arc", "dart", "gsm8k", "mmlu", "arith", "mcq", …</param>
/// <param name="Question">The prompt body, without options or instructions (and without the passage, when there is one).</param>
/// <param name="Choices">Option texts labelled A, B, C, … in order; null for open answers.</param>
/// <param name="Gold">A letter for multiple choice, an answer string (a number or LaTeX expression) for math; for a span,
/// the first gold answer or <see cref="Graders.SpanAnswer.NoAnswer"/> (what a trainer's completion says).</param>
/// <param name="Grading">How an output is checked against <paramref name="Gold"/>.</param>
/// <param name="Source">"file:line" for loaded items, "family:seed=K:split:index" for generated ones.</param>
/// <param name="Level">Difficulty 1–5 where known (MATH/DART levels, synthetic levels); null otherwise.</param>
/// <param name="Split">"train", "validation" or "test" (files: the split the caller says the file is).</param>
/// <param name="Layout">Prompt layout: <see cref="PromptLayout.Paper"/> for benchmarks, compact for synthetic families.</param>
/// <param name="NewTokens">Overrides the new-token budget of METHOD.md (synthetic families set it); null = the default.</param>
/// <param name="Passage">Text the question is about, shown before it (SQuAD's context, AGIEval's passage); null = none.</param>
/// <param name="Answers">Every accepted answer of a span item (SQuAD's annotators' spans, as the release lists them); empty
/// when the passage does not answer the question; null for other gradings.</param>
public sealed record TaskItem(
    string Id,
    string Task,
    string Question,
    IReadOnlyList<string>? Choices,
    string Gold,
    Grading Grading,
    string Source,
    int? Level,
    string Split,
    PromptLayout Layout = PromptLayout.Paper,
    int? NewTokens = null,
    string? Passage = null,
    IReadOnlyList<string>? Answers = null)
{
    /// <summary>Value equality, options and answers compared element by element (a record alone would compare the list references).</summary>
    public bool Equals(TaskItem? other) =>
        other is not null && Id == other.Id && Task == other.Task && Question == other.Question && Gold == other.Gold
        && Grading == other.Grading && Source == other.Source && Level == other.Level && Split == other.Split
        && Layout == other.Layout && NewTokens == other.NewTokens && Passage == other.Passage
        && SameList(Choices, other.Choices) && SameList(Answers, other.Answers);

    private static bool SameList(IReadOnlyList<string>? a, IReadOnlyList<string>? b) => a is null ? b is null : b is not null && a.SequenceEqual(b);

    public override int GetHashCode() => HashCode.Combine(Id, Task, Question, Gold, Split, Source);

    /// <summary>The letter of option <paramref name="index"/> (0 → 'A').</summary>
    public static char Letter(int index) => (char)('A' + index);
}
