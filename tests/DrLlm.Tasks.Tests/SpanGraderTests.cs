using DrLlm.Tasks.Graders;

namespace DrLlm.Tasks.Tests;

/// <summary>SQuAD v2 scoring as its official evaluation script does it: normalisation, exact match, token F1, no-answer.</summary>
public class SpanGraderTests
{
    [Theory]
    [InlineData("The Eiffel Tower", "eiffel tower")]
    [InlineData("  Saint-Denis!  ", "saintdenis")]          // punctuation is removed, not replaced by a space
    [InlineData("a  theatre,\tan apple", "theatre apple")]  // whole-word articles only
    [InlineData("$1,000 (approx.)", "1000 approx")]
    [InlineData("Ünïcode Straße", "ünïcode straße")]
    public void Normalisation_is_squads_normalize_answer(string raw, string expected) =>
        Assert.Equal(expected, SpanAnswer.Normalize(raw));

    [Theory]
    [InlineData("Denver Broncos", new[] { "Denver Broncos" }, true, 1.0)]
    [InlineData("the Denver Broncos.", new[] { "Denver Broncos" }, true, 1.0)]
    [InlineData("the Denver Broncos team", new[] { "Denver Broncos" }, false, 0.8)]   // P 2/3, R 1
    [InlineData("Broncos", new[] { "Denver Broncos", "Broncos", "Denver Broncos" }, true, 1.0)]
    [InlineData("Carolina Panthers", new[] { "Denver Broncos" }, false, 0.0)]
    [InlineData("y y y", new[] { "x y y" }, false, 2.0 / 3)]                         // a token counts as often as in both
    [InlineData("", new[] { "Denver Broncos" }, false, 0.0)]
    [InlineData("unanswerable", new[] { "Denver Broncos" }, false, 0.0)]
    public void Exact_match_and_f1_are_the_best_over_the_gold_answers(string prediction, string[] gold, bool exact, double f1)
    {
        var s = SpanAnswer.Grade(prediction, gold);
        Assert.Equal(exact, s.ExactMatch);
        Assert.Equal(f1, s.F1, 9);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("unanswerable", true)]
    [InlineData("Unanswerable.", true)]
    [InlineData("No answer", true)]
    [InlineData("the", true)]       // normalises to nothing, as the script's empty prediction
    [InlineData("Paris", false)]
    [InlineData("not answerable here", false)]
    public void An_unanswerable_question_scores_only_the_empty_answer(string prediction, bool right)
    {
        var s = SpanAnswer.Grade(prediction, []);
        Assert.Equal(right, s.ExactMatch);
        Assert.Equal(right ? 1.0 : 0.0, s.F1);
    }

    [Theory]
    [InlineData(" Denver Broncos\nQuestion: Who won?", "Denver Broncos")]
    [InlineData("\n\nAnswer: Denver", "Denver")]
    [InlineData("The answer is: 1998.", "1998.")]
    [InlineData("answering machine", "answering machine")]
    [InlineData("   ", "")]
    public void Extraction_takes_the_first_line_without_an_answer_prefix(string output, string expected) =>
        Assert.Equal(expected, SpanAnswer.Extract(output));

    [Fact]
    public void Grader_gives_span_items_exact_match_as_correct_and_the_f1()
    {
        var item = new TaskItem("q1", "squadv2", "Who won?", null, "Denver Broncos", Grading.ExtractiveSpan, "s.jsonl:1", null, "test",
            Passage: "The Denver Broncos won.", Answers: ["Denver Broncos", "the Broncos"]);
        Assert.Equal(new GradeResult(true, "Broncos", 1.0), Grader.Grade(item, " Broncos\nQuestion: …"));
        var partial = Grader.Grade(item, " Denver");
        Assert.False(partial.Correct);
        Assert.Equal(2.0 / 3, partial.F1!.Value, 9);  // "denver" against "denver broncos": P 1, R 1/2
        var unanswerable = item with { Gold = SpanAnswer.NoAnswer, Answers = [] };
        Assert.True(Grader.Grade(unanswerable, " unanswerable\n").Correct);
        Assert.Throws<ArgumentException>(() => Grader.Grade(item with { Answers = null }, "x"));
        Assert.Null(Grader.Grade(new TaskItem("m", "gsm8k", "1+1?", null, "2", Grading.MathAnswer, "g:1", null, "test"), "2").F1);
    }
}
