using System.Text;
using DrLlm.Tasks.Graders;

namespace DrLlm.Tasks.Prompts;

/// <summary>Whether a model is a plain next-token model (prompted with text) or chat-tuned (prompted with messages).</summary>
public enum ModelKind { Base, Instruct }

/// <summary>One chat message for a chat template (rendered by the engine, not here). Role: "system" or "user".</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// Prompts in the style of the Dr.LLM paper (arXiv 2510.12773): multiple choice asks for the option's letter, math for
/// a final answer in \boxed{}; a base model gets plain text ending in "Answer:" so that its next tokens are the answer,
/// an instruct model gets chat messages. Synthetic families use a compact one-line layout (<see cref="PromptLayout.Compact"/>)
/// that a tiny byte-level model trained from scratch can fit: "Q: 12+7*3=? A:" → " 33\n".
/// </summary>
public static class TaskPrompts
{
    public const string LetterInstruction = "Answer with the letter of the correct option.";
    public const string BoxedInstruction = "Please put your final answer within \\boxed{}.";
    public const string NumberInstruction = "Answer with the number only.";
    public const string SpanInstruction = "Answer with a short span copied from the passage, or \"" + Graders.SpanAnswer.NoAnswer + "\" if the passage does not answer the question.";

    /// <summary>
    /// New tokens for a span answer (SQuAD v2), base and instruct alike. Gold spans are short phrases (names, dates,
    /// numbers, a few words; rarely a dozen words), and 32 tokens hold such a span or "unanswerable" with room to spare,
    /// where METHOD.md's 15 math tokens would cut the longer spans and so their F1.
    /// </summary>
    public const int SpanTokens = 32;

    /// <summary>
    /// Training completions end with this marker: a trainer appends it to the answer, and a generation can stop at it.
    /// Graders read only the first line of a numeric answer, so text after it never counts.
    /// </summary>
    public const string StopMarker = "\n";

    /// <summary>
    /// New tokens to generate when evaluating a path (METHOD.md): 2 for a base model's letter, 10 for an instruct model's
    /// letter, 15 for math. An item's <see cref="TaskItem.NewTokens"/> (synthetic families set it to fit their answers)
    /// overrides the base-model budget; instruct budgets stay as METHOD.md gives them.
    /// </summary>
    public static int NewTokenBudget(TaskItem item, ModelKind kind) => (item.Grading, kind) switch
    {
        _ when kind == ModelKind.Base && item.NewTokens is { } n => n,
        (Grading.MultipleChoiceLetter, ModelKind.Base) => 2,
        (Grading.MultipleChoiceLetter, ModelKind.Instruct) => 10,
        (Grading.ExtractiveSpan, _) => SpanTokens,
        _ => 15,
    };

    /// <summary>The base-model prompt: plain text whose continuation is the answer.</summary>
    public static string Base(TaskItem item)
    {
        if (item.Layout == PromptLayout.Compact)
            return item.Grading == Grading.MultipleChoiceLetter ? $"Q: {item.Question} {InlineOptions(item)} Answer:" : $"Q: {item.Question} A:";
        var sb = new StringBuilder(PassageLine(item));
        sb.Append("Question: ").Append(item.Question.Trim()).Append('\n');
        if (item.Grading == Grading.MultipleChoiceLetter) sb.Append(OptionLines(item));
        sb.Append(Instruction(item.Grading)).Append('\n');
        sb.Append("Answer:");
        return sb.ToString();
    }

    /// <summary>The instruct-model prompt: an optional system message and one user message (no trailing "Answer:").</summary>
    public static IReadOnlyList<ChatMessage> Instruct(TaskItem item, string? system = null)
    {
        string user = (item.Layout, item.Grading) switch
        {
            (PromptLayout.Compact, Grading.MultipleChoiceLetter) => $"{item.Question} {InlineOptions(item)}\n{LetterInstruction}",
            (PromptLayout.Compact, _) => $"{item.Question}\n{NumberInstruction}",
            (_, Grading.MultipleChoiceLetter) => $"{PassageLine(item)}{item.Question.Trim()}\n{OptionLines(item)}{LetterInstruction}",
            _ => $"{PassageLine(item)}{item.Question.Trim()}\n{Instruction(item.Grading)}",
        };
        return system is null ? [new ChatMessage("user", user)] : [new ChatMessage("system", system), new ChatMessage("user", user)];
    }

    /// <summary>
    /// The (prompt, completion) pair a trainer concatenates: the base prompt, then " " + the answer as the grader
    /// reads it + <see cref="StopMarker"/>. Compact items answer with the bare letter or number (" B\n", " 33\n");
    /// paper-layout items with the letter, " \boxed{gold}\n", or the span (" Denver Broncos\n", " unanswerable\n").
    /// </summary>
    public static (string Prompt, string Completion) TrainingText(TaskItem item)
    {
        var answer = item.Grading != Grading.MathAnswer || item.Layout == PromptLayout.Compact ? item.Gold : $"\\boxed{{{item.Gold}}}";
        return (Base(item), " " + answer + StopMarker);
    }

    private static string Instruction(Grading grading) => grading switch
    {
        Grading.MultipleChoiceLetter => LetterInstruction,
        Grading.ExtractiveSpan => SpanInstruction,
        _ => BoxedInstruction,
    };

    /// <summary>"Passage: …\n" before the question when the item has one (SQuAD's context, AGIEval's passage), else "".</summary>
    private static string PassageLine(TaskItem item) =>
        string.IsNullOrWhiteSpace(item.Passage) ? "" : $"Passage: {item.Passage.Trim()}\n";

    private static string OptionLines(TaskItem item)
    {
        var choices = item.Choices ?? throw new ArgumentException($"{item.Id}: a multiple-choice item has no choices");
        var sb = new StringBuilder();
        for (int i = 0; i < choices.Count; i++) sb.Append(TaskItem.Letter(i)).Append(". ").Append(choices[i].Trim()).Append('\n');
        return sb.ToString();
    }

    private static string InlineOptions(TaskItem item)
    {
        var choices = item.Choices ?? throw new ArgumentException($"{item.Id}: a multiple-choice item has no choices");
        return string.Join(" ", choices.Select((c, i) => $"({TaskItem.Letter(i)}) {c}"));
    }
}
