using DrLlm.Tasks.Graders;
using DrLlm.Tasks.Prompts;

namespace DrLlm.Tasks.Tests;

public class PromptTests
{
    private static readonly TaskItem Arc = new("a1", "arc", "Which is a gas?", ["ice", "steam", "rock", "wood"], "B",
        Grading.MultipleChoiceLetter, "arc.jsonl:1", null, "test");

    private static readonly TaskItem Dart = new("d1", "dart", "What is $1/2+1/4$?", null, "\\frac{3}{4}", Grading.MathAnswer, "dart.jsonl:1", 2, "test");

    [Fact]
    public void Base_multiple_choice_prompt_lists_lettered_options_then_asks_for_the_letter()
    {
        Assert.Equal("Question: Which is a gas?\nA. ice\nB. steam\nC. rock\nD. wood\nAnswer with the letter of the correct option.\nAnswer:",
            TaskPrompts.Base(Arc));
    }

    [Fact]
    public void Base_math_prompt_asks_for_a_boxed_answer()
    {
        Assert.Equal("Question: What is $1/2+1/4$?\nPlease put your final answer within \\boxed{}.\nAnswer:", TaskPrompts.Base(Dart));
    }

    [Fact]
    public void Instruct_prompts_are_chat_messages_with_an_optional_system_message()
    {
        var m = TaskPrompts.Instruct(Arc);
        Assert.Equal([new ChatMessage("user", "Which is a gas?\nA. ice\nB. steam\nC. rock\nD. wood\nAnswer with the letter of the correct option.")], m);
        var s = TaskPrompts.Instruct(Dart, system: "You are a helpful assistant.");
        Assert.Equal(2, s.Count);
        Assert.Equal(new ChatMessage("system", "You are a helpful assistant."), s[0]);
        Assert.Equal("What is $1/2+1/4$?\nPlease put your final answer within \\boxed{}.", s[1].Content);
    }

    [Fact]
    public void New_token_budgets_follow_the_method_and_items_may_override_the_base_budget()
    {
        Assert.Equal(2, TaskPrompts.NewTokenBudget(Arc, ModelKind.Base));
        Assert.Equal(10, TaskPrompts.NewTokenBudget(Arc, ModelKind.Instruct));
        Assert.Equal(15, TaskPrompts.NewTokenBudget(Dart, ModelKind.Base));
        Assert.Equal(15, TaskPrompts.NewTokenBudget(Dart, ModelKind.Instruct));
        Assert.Equal(8, TaskPrompts.NewTokenBudget(Dart with { NewTokens = 8 }, ModelKind.Base));
        Assert.Equal(15, TaskPrompts.NewTokenBudget(Dart with { NewTokens = 8 }, ModelKind.Instruct));
    }

    [Fact]
    public void Training_text_is_the_base_prompt_and_the_graded_answer_with_a_stop_marker()
    {
        Assert.Equal((TaskPrompts.Base(Arc), " B\n"), TaskPrompts.TrainingText(Arc));
        Assert.Equal((TaskPrompts.Base(Dart), " \\boxed{\\frac{3}{4}}\n"), TaskPrompts.TrainingText(Dart));
        Assert.True(Grader.Grade(Dart, TaskPrompts.TrainingText(Dart).Completion).Correct);
        Assert.True(Grader.Grade(Arc, TaskPrompts.TrainingText(Arc).Completion).Correct);
    }

    [Fact]
    public void Compact_layout_is_one_line()
    {
        var arith = new TaskItem("x", "arith", "12+7*3=?", null, "33", Grading.MathAnswer, "s", 3, "train", PromptLayout.Compact, 8);
        Assert.Equal(("Q: 12+7*3=? A:", " 33\n"), TaskPrompts.TrainingText(arith));
        var mcq = new TaskItem("y", "mcq", "Which is largest?", ["12", "40", "7", "33"], "B", Grading.MultipleChoiceLetter, "s", 1, "train", PromptLayout.Compact, 2);
        Assert.Equal(("Q: Which is largest? (A) 12 (B) 40 (C) 7 (D) 33 Answer:", " B\n"), TaskPrompts.TrainingText(mcq));
        Assert.Equal("Which is largest? (A) 12 (B) 40 (C) 7 (D) 33\nAnswer with the letter of the correct option.", TaskPrompts.Instruct(mcq)[0].Content);
        Assert.Equal("12+7*3=?\nAnswer with the number only.", TaskPrompts.Instruct(arith)[0].Content);
    }

    private static readonly TaskItem Squad = new("s1", "squadv2", "Which team won?", null, "Denver Broncos", Grading.ExtractiveSpan,
        "squad.jsonl:1", null, "test", Passage: "The Denver Broncos defeated the Carolina Panthers.", Answers: ["Denver Broncos", "The Broncos"]);

    [Fact]
    public void Span_prompt_shows_the_passage_asks_for_a_span_or_unanswerable_and_budgets_32_tokens()
    {
        Assert.Equal("Passage: The Denver Broncos defeated the Carolina Panthers.\nQuestion: Which team won?\n" +
            "Answer with a short span copied from the passage, or \"unanswerable\" if the passage does not answer the question.\nAnswer:", TaskPrompts.Base(Squad));
        Assert.Equal("Passage: The Denver Broncos defeated the Carolina Panthers.\nWhich team won?\n" + TaskPrompts.SpanInstruction, TaskPrompts.Instruct(Squad)[0].Content);
        Assert.Equal(32, TaskPrompts.NewTokenBudget(Squad, ModelKind.Base));
        Assert.Equal(32, TaskPrompts.NewTokenBudget(Squad, ModelKind.Instruct));
        Assert.Equal(" Denver Broncos\n", TaskPrompts.TrainingText(Squad).Completion);
        Assert.True(Grader.Grade(Squad, TaskPrompts.TrainingText(Squad).Completion).Correct);
        var none = Squad with { Gold = SpanAnswer.NoAnswer, Answers = [] };
        Assert.Equal(" unanswerable\n", TaskPrompts.TrainingText(none).Completion);
        Assert.True(Grader.Grade(none, TaskPrompts.TrainingText(none).Completion).Correct);
    }

    [Fact]
    public void Multiple_choice_with_a_passage_puts_it_before_the_question()
    {
        var agi = Arc with { Passage = "  Gases fill their container.\n" };
        Assert.Equal("Passage: Gases fill their container.\nQuestion: Which is a gas?\nA. ice\nB. steam\nC. rock\nD. wood\n" +
            "Answer with the letter of the correct option.\nAnswer:", TaskPrompts.Base(agi));
        Assert.StartsWith("Passage: Gases fill their container.\nWhich is a gas?\nA. ice", TaskPrompts.Instruct(agi)[0].Content);
        Assert.Equal(TaskPrompts.Base(Arc), TaskPrompts.Base(Arc with { Passage = " " }));
    }

    [Fact]
    public void Grader_reports_the_extracted_answer()
    {
        Assert.Equal(new GradeResult(true, "B"), Grader.Grade(Arc, " B"));
        Assert.Equal(new GradeResult(false, "C"), Grader.Grade(Arc, "(C)"));
        Assert.Equal(new GradeResult(false, null), Grader.Grade(Arc, "B or C"));
        Assert.Equal(new GradeResult(true, "0.75"), Grader.Grade(Dart, " 0.75"));
        Assert.Equal(new GradeResult(false, null), Grader.Grade(Dart, "no idea"));
    }
}

public class TaskItemTests
{
    [Fact]
    public void Items_round_trip_through_json_and_compare_by_value()
    {
        var item = TaskRegistry.FindSynthetic("mcq")!.Item("test", 3);
        var back = System.Text.Json.JsonSerializer.Deserialize<TaskItem>(System.Text.Json.JsonSerializer.Serialize(item));
        Assert.Equal(item, back);
        Assert.Equal(item.GetHashCode(), back!.GetHashCode());
        Assert.NotEqual(item, item with { Choices = ["1", "2", "3", "4"] });
    }

    [Fact]
    public void Span_items_round_trip_with_their_passage_and_answers()
    {
        var item = new TaskItem("s1", "squadv2", "Q?", null, "x", Grading.ExtractiveSpan, "f:1", null, "test", Passage: "P.", Answers: ["x", "the x"]);
        var back = System.Text.Json.JsonSerializer.Deserialize<TaskItem>(System.Text.Json.JsonSerializer.Serialize(item));
        Assert.Equal(item, back);
        Assert.NotEqual(item, item with { Answers = ["x"] });
        Assert.NotEqual(item, item with { Answers = null });
        Assert.NotEqual(item, item with { Passage = "Q." });
    }
}
