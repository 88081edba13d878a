namespace DrLlm.Tasks.Graders;

/// <summary>
/// The outcome of grading one output: correct or not, the answer read from it (null: none found), and for span items
/// the token F1 (SQuAD's partial credit; <see cref="Correct"/> is then the exact match). Null F1 for letter and math
/// items, whose score is all or nothing.
/// </summary>
public sealed record GradeResult(bool Correct, string? Answer, double? F1 = null);

/// <summary>Grades a model output against a <see cref="TaskItem"/> by the item's <see cref="Grading"/>.</summary>
public static class Grader
{
    public static GradeResult Grade(TaskItem item, string output)
    {
        switch (item.Grading)
        {
            case Grading.MultipleChoiceLetter:
                var n = item.Choices?.Count ?? throw new ArgumentException($"{item.Id}: a multiple-choice item has no choices");
                var letter = ChoiceAnswer.Extract(output, n);
                return new GradeResult(letter is { } l && item.Gold.Trim().Equals(l.ToString(), StringComparison.OrdinalIgnoreCase), letter?.ToString());
            case Grading.MathAnswer:
                var answer = MathAnswer.Extract(output);
                return new GradeResult(answer is not null && MathAnswer.Equivalent(answer, item.Gold), answer);
            case Grading.ExtractiveSpan:
                var answers = item.Answers ?? throw new ArgumentException($"{item.Id}: a span item has no gold answers (an empty list means unanswerable)");
                var span = SpanAnswer.Extract(output);
                var score = SpanAnswer.Grade(span, answers);
                return new GradeResult(score.ExactMatch, span, score.F1);
            default:
                throw new ArgumentOutOfRangeException(nameof(item), item.Grading, "unknown grading");
        }
    }
}
