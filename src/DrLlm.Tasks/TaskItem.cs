namespace DrLlm.Tasks;

/// <summary>How an answer is checked (METHOD.md, "evaluation of a path": letter match or math-equivalence).</summary>
public enum Grading
{
    /// <summary>The output names one option letter (A, B, …); correct when it is <see cref="TaskItem.Gold"/>.</summary>
    MultipleChoiceLetter,
    /// <summary>The output's final answer (\boxed{…} or a number) is mathematically equivalent to <see cref="TaskItem.Gold"/>.</summary>
    MathAnswer,
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
/// <param name="Question">The prompt body, without options or instructions.</param>
/// <param name="Choices">Option texts labelled A, B, C, … in order; null for open answers.</param>
/// <param name="Gold">A letter for multiple choice, an answer string (a number or LaTeX expression) for math.</param>
/// <param name="Grading">How an output is checked against <paramref name="Gold"/>.</param>
/// <param name="Source">"file:line" for loaded items, "family:seed=K:split:index" for generated ones.</param>
/// <param name="Level">Difficulty 1–5 where known (MATH/DART levels, synthetic levels); null otherwise.</param>
/// <param name="Split">"train", "validation" or "test" (files: the split the caller says the file is).</param>
/// <param name="Layout">Prompt layout: <see cref="PromptLayout.Paper"/> for benchmarks, compact for synthetic families.</param>
/// <param name="NewTokens">Overrides the new-token budget of METHOD.md (synthetic families set it); null = the default.</param>
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
    int? NewTokens = null)
{
    /// <summary>Value equality, options compared element by element (a record alone would compare the list references).</summary>
    public bool Equals(TaskItem? other) =>
        other is not null && Id == other.Id && Task == other.Task && Question == other.Question && Gold == other.Gold
        && Grading == other.Grading && Source == other.Source && Level == other.Level && Split == other.Split
        && Layout == other.Layout && NewTokens == other.NewTokens
        && (Choices is null ? other.Choices is null : other.Choices is not null && Choices.SequenceEqual(other.Choices));

    public override int GetHashCode() => HashCode.Combine(Id, Task, Question, Gold, Split, Source);

    /// <summary>The letter of option <paramref name="index"/> (0 → 'A').</summary>
    public static char Letter(int index) => (char)('A' + index);
}
