namespace DrLlm.Tasks.Graders;

/// <summary>The outcome of grading one output: correct or not, and the answer read from it (null: none found).</summary>
public sealed record GradeResult(bool Correct, string? Answer);

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
            default:
                throw new ArgumentOutOfRangeException(nameof(item), item.Grading, "unknown grading");
        }
    }
}
