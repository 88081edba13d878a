using System.Globalization;

namespace DrLlm.Tasks.Loading;

public static partial class BenchmarkLoaders
{
    /// <summary>
    /// AIME (American Invitational Mathematics Examination): a problem and its answer, an integer 0-999 (the contest's
    /// answer sheet has three digits, so "033" is 33). The exports spell the fields differently: <c>problem</c>,
    /// <c>answer</c>, <c>id</c> (AI-MO/aimo-validation-aime, HuggingFaceH4/aime_2024), <c>Problem</c>, <c>Answer</c>,
    /// <c>ID</c> (Maxwell-Jia/AIME_2024), <c>Question</c>, <c>Answer</c>, <c>ID</c> with <c>Year</c> (the 1983-2024 CSV,
    /// di-zhang-fdu/AIME_1983_2024), <c>question</c>, <c>answer</c> (opencompass/AIME2025). Graded as math: the answer
    /// must equal the integer.
    /// </summary>
    public static LoadResult Aime(string file, LoadOptions? options = null) =>
        TaskLoader.Load(file, "aime", options ?? new(), (obj, ctx) =>
        {
            var question = Fields.String(obj, Fields.Pick(obj, "problem", "Problem", "question", "Question"));
            var answerField = Fields.Pick(obj, "answer", "Answer");
            var raw = Fields.String(obj, answerField).Trim();
            if (!int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > 999)
                throw new RecordException(answerField, $"expected an AIME answer, an integer 0-999, got '{raw}'");
            var id = Fields.OptionalString(obj, Fields.Pick(obj, "id", "ID")) ?? ctx.FallbackId;
            return new TaskItem(id, ctx.Task, question, null, n.ToString(CultureInfo.InvariantCulture), Grading.MathAnswer, ctx.Source, null, ctx.Split);
        });
}
