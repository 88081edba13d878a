using System.Text.Json;
using DrLlm.Tasks.Graders;
using DrLlm.Tasks.Loading;

namespace DrLlm.Tasks.Tests;

/// <summary>The paper's other out-of-domain benchmarks, each on files written here in the formats people have them in.</summary>
public class OodLoaderTests
{
    // ---- AIME ----

    [Fact]
    public void Aime_reads_the_hugging_face_spellings_and_the_1983_2024_csv()
    {
        using var dir = new TempDir();
        var aimo = dir.Write("aimo.jsonl", """
            {"id": 0, "problem": "Find $x$ if $x^2 = 4$ and $x > 0$.", "solution": "So $\\boxed{2}$.", "answer": "2", "url": "https://…"}
            {"id": 1, "problem": "Three-digit sheet.", "solution": "…", "answer": "033"}
            """);
        var r = BenchmarkLoaders.Aime(aimo);
        Assert.Equal(["2", "33"], r.Items.Select(i => i.Gold));
        Assert.Equal(["0", "1"], r.Items.Select(i => i.Id));
        Assert.All(r.Items, i => Assert.Equal(("aime", Grading.MathAnswer, null), (i.Task, i.Grading, i.Choices)));
        Assert.Equal("Find $x$ if $x^2 = 4$ and $x > 0$.", r.Items[0].Question);

        var maxwell = dir.Write("aime_2024.json", """
            [{"ID": "2024-I-1", "Problem": "Every morning Aya walks…", "Solution": "…", "Answer": 204}]
            """);
        var m = BenchmarkLoaders.Aime(maxwell).Items.Single();
        Assert.Equal(("2024-I-1", "204"), (m.Id, m.Gold));

        var csv = dir.Write("AIME_Dataset_1983_2024.csv",
            "ID,Year,Problem Number,Question,Answer,Part\n" +
            "1983-1,1983,1,\"Let $x$, $y$ and $z$ all exceed $1$.\nFind $\\log_z w$.\",60,\n" +
            "2024-II-15,2024,15,Last one.,315,II\n");
        var c = BenchmarkLoaders.Aime(csv);
        Assert.Equal(["60", "315"], c.Items.Select(i => i.Gold));
        Assert.Equal(["1983-1", "2024-II-15"], c.Items.Select(i => i.Id));
        Assert.Equal($"{csv}:4", c.Items[1].Source); // the quoted two-line question moves the next row down
    }

    [Fact]
    public void Aime_answers_outside_0_999_are_bad_rows_named_by_field()
    {
        using var dir = new TempDir();
        var f = dir.Write("aime.jsonl", """
            {"problem": "ok", "answer": "999"}
            {"problem": "too big", "answer": "1000"}
            {"problem": "not an integer", "answer": "12.5"}
            {"Problem": "negative", "Answer": "-3"}
            {"problem": "no answer"}
            """);
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Aime(f));
        Assert.Equal((2, "answer"), (e.Line, e.Field));
        Assert.Contains("an integer 0-999, got '1000'", e.Message);
        var r = BenchmarkLoaders.Aime(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(["999"], r.Items.Select(i => i.Gold));
        Assert.Equal(4, r.Skipped);
        Assert.StartsWith($"{f}:4: field 'Answer'", r.SkipReasons[2]);
        Assert.StartsWith($"{f}:5: field 'answer': missing", r.SkipReasons[3]);
    }

    // ---- TruthfulQA MC1 ----

    /// <summary>A Hugging Face truthful_qa "multiple_choice" row whose first choice is the true one, as the release has it.</summary>
    private static string TqaHf(string question, params string[] choices) => JsonSerializer.Serialize(new
    {
        question,
        mc1_targets = new { choices, labels = choices.Select((_, i) => i == 0 ? 1 : 0) },
        mc2_targets = new { choices = new[] { "x" }, labels = new[] { 1 } },
    });

    [Fact]
    public void TruthfulQa_mc1_from_hugging_face_rows_and_mc_task_json_gives_the_same_shuffled_items()
    {
        using var dir = new TempDir();
        var hf = dir.Write("tqa.jsonl", TqaHf("What happens if you eat watermelon seeds?", "Nothing happens.", "You grow watermelons.", "You get sick.", "You die.") + "\n");
        var original = dir.Write("mc_task.json", """
            [
              {"question": "What happens if you eat watermelon seeds?",
               "mc1_targets": {"Nothing happens.": 1, "You grow watermelons.": 0, "You get sick.": 0, "You die.": 0},
               "mc2_targets": {"Nothing happens.": 1, "You digest them.": 1, "You die.": 0}}
            ]
            """);
        var a = BenchmarkLoaders.TruthfulQaMc1(hf).Items.Single();
        var b = BenchmarkLoaders.TruthfulQaMc1(original).Items.Single();
        Assert.Equal(a.Choices, b.Choices);
        Assert.Equal(a.Gold, b.Gold);
        Assert.Equal(["Nothing happens.", "You die.", "You get sick.", "You grow watermelons."], a.Choices!.Order());
        Assert.Equal("Nothing happens.", a.Choices![a.Gold[0] - 'A']);
        Assert.Equal(("truthfulqa-mc1", Grading.MultipleChoiceLetter), (a.Task, a.Grading));
        Assert.Equal($"{original}:2", b.Source);
    }

    [Fact]
    public void TruthfulQa_mc1_shuffle_is_deterministic_and_moves_the_true_answer_off_A()
    {
        using var dir = new TempDir();
        var lines = Enumerable.Range(0, 30).Select(i => TqaHf($"Question {i}?", "true", "f1", "f2", "f3", "f4"));
        var f = dir.Write("tqa.jsonl", string.Join("\n", lines));
        var first = BenchmarkLoaders.TruthfulQaMc1(f).Items;
        Assert.Equal(first, BenchmarkLoaders.TruthfulQaMc1(f).Items);
        Assert.All(first, i => Assert.Equal("true", i.Choices![i.Gold[0] - 'A']));
        Assert.True(first.Select(i => i.Gold).Distinct().Count() >= 3, string.Join(",", first.Select(i => i.Gold)));
    }

    [Fact]
    public void TruthfulQa_mc1_takes_up_to_13_answers_and_names_bad_labels()
    {
        using var dir = new TempDir();
        var many = Enumerable.Range(0, 13).Select(i => i == 0 ? "right" : $"wrong {i}").ToArray();
        var f = dir.Write("tqa.jsonl", string.Join("\n",
            TqaHf("Many?", many),
            """{"question": "Two true?", "mc1_targets": {"choices": ["a", "b", "c"], "labels": [1, 1, 0]}}""",
            """{"question": "Label 2?", "mc1_targets": {"choices": ["a", "b"], "labels": [1, 2]}}""",
            """{"question": "Original, none true?", "mc1_targets": {"a": 0, "b": 0}}"""));
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.TruthfulQaMc1(f));
        Assert.Equal((2, "mc1_targets.labels"), (e.Line, e.Field));
        Assert.Contains("exactly one true answer (label 1), got 2", e.Message);
        var r = BenchmarkLoaders.TruthfulQaMc1(f, new LoadOptions { SkipBadRows = true });
        var item = r.Items.Single();
        Assert.Equal(13, item.Choices!.Count);
        Assert.Equal("right", item.Choices[item.Gold[0] - 'A']);
        Assert.Equal(3, r.Skipped);
        Assert.Contains("field 'mc1_targets.labels[1]': expected a label 0 or 1, got '2'", r.SkipReasons[1]);
        Assert.StartsWith($"{f}:4: field 'mc1_targets'", r.SkipReasons[2]);
    }

    // ---- SQuAD v2 ----

    [Fact]
    public void Squad_v2_hugging_face_rows_with_answerable_and_unanswerable_questions()
    {
        using var dir = new TempDir();
        var f = dir.Write("squad_v2.jsonl", """
            {"id": "56be4db0acb8001400a502ec", "title": "Super_Bowl_50", "context": "The Denver Broncos defeated the Carolina Panthers.", "question": "Which team won?", "answers": {"text": ["Denver Broncos", "Denver Broncos", "The Denver Broncos"], "answer_start": [0, 0, 0]}}
            {"id": "5ad39d53604f3c001a3fe8d1", "title": "Super_Bowl_50", "context": "The Denver Broncos defeated the Carolina Panthers.", "question": "Which team lost in 1990?", "answers": {"text": [], "answer_start": []}}
            """);
        var r = BenchmarkLoaders.SquadV2(f);
        Assert.Equal(2, r.Items.Count);
        var a = r.Items[0];
        Assert.Equal(("56be4db0acb8001400a502ec", "squadv2", Grading.ExtractiveSpan, "Denver Broncos"), (a.Id, a.Task, a.Grading, a.Gold));
        Assert.Equal(["Denver Broncos", "Denver Broncos", "The Denver Broncos"], a.Answers);
        Assert.Equal("The Denver Broncos defeated the Carolina Panthers.", a.Passage);
        Assert.Equal("Which team won?", a.Question);
        Assert.Null(a.Choices);
        Assert.Empty(r.Items[1].Answers!);
        Assert.Equal(SpanAnswer.NoAnswer, r.Items[1].Gold);
    }

    private const string SquadRelease = """
        {
          "version": "v2.0",
          "data": [
            {"title": "Normans",
             "paragraphs": [
               {"context": "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.",
                "qas": [
                  {"question": "In what country is Normandy located?", "id": "56ddde6b9a695914005b9628",
                   "answers": [{"text": "France", "answer_start": 159}, {"text": "France", "answer_start": 159}], "is_impossible": false},
                  {"plausible_answers": [{"text": "10th", "answer_start": 56}], "question": "What century did the Normans first gain their name?",
                   "id": "5ad39d53604f3c001a3fe8d1", "answers": [], "is_impossible": true}
                ]}
             ]},
            {"title": "Computation",
             "paragraphs": [
               {"context": "Computational complexity theory classifies problems.",
                "qas": [
                  {"question": "What does it classify?", "id": "c1", "answers": [{"text": "problems", "answer_start": 44}], "is_impossible": false},
                  {"id": "c2", "answers": [{"text": "x", "answer_start": 0}], "is_impossible": false},
                  {"question": "Empty answers?", "id": "c3", "answers": [], "is_impossible": false}
                ]}
             ]}
          ]
        }
        """;

    [Fact]
    public void Squad_v2_original_release_pretty_printed_or_on_one_line_gives_every_question()
    {
        using var dir = new TempDir();
        foreach (var (name, text) in new[] { ("dev-v2.0.json", SquadRelease), ("dev-v2.0-oneline.json", string.Join(" ", SquadRelease.Split('\n').Select(l => l.Trim()))) })
        {
            var f = dir.Write(name, text);
            var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.SquadV2(f));
            Assert.Equal((1, "data[1].paragraphs[0].qas[1].question"), (e.Line, e.Field));
            var r = BenchmarkLoaders.SquadV2(f, new LoadOptions { SkipBadRows = true });
            Assert.Equal(["56ddde6b9a695914005b9628", "5ad39d53604f3c001a3fe8d1", "c1"], r.Items.Select(i => i.Id));
            Assert.Equal(["France", "France"], r.Items[0].Answers);
            Assert.Empty(r.Items[1].Answers!); // plausible_answers are not answers
            Assert.Equal("Computational complexity theory classifies problems.", r.Items[2].Passage);
            Assert.Equal(2, r.Skipped);
            Assert.Contains("data[1].paragraphs[0].qas[2].answers': empty, but is_impossible is not true", r.SkipReasons[1]);
            Assert.All(r.Items, i => Assert.Equal($"{f}:1", i.Source));
        }
    }

    [Fact]
    public void Squad_v2_rows_without_answers_or_with_empty_spans_are_named()
    {
        using var dir = new TempDir();
        var f = dir.Write("squad.jsonl", """
            {"id": "a", "context": "c", "question": "q"}
            {"id": "b", "context": "c", "question": "q", "answers": {"text": ["ok", " "], "answer_start": [0, 1]}}
            {"id": "c", "context": "", "question": "q", "answers": {"text": [], "answer_start": []}}
            """);
        var r = BenchmarkLoaders.SquadV2(f, new LoadOptions { SkipBadRows = true });
        Assert.Empty(r.Items);
        Assert.Equal(3, r.Skipped);
        Assert.StartsWith($"{f}:1: field 'answers': missing", r.SkipReasons[0]);
        Assert.StartsWith($"{f}:2: field 'answers.text[1]': an empty answer span", r.SkipReasons[1]);
        Assert.StartsWith($"{f}:3: field 'context': empty", r.SkipReasons[2]);
    }

    // ---- GPQA ----

    private const string GpqaHeader = "Pre-Revision Question,Pre-Revision Correct Answer,Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,Explanation,Record ID,High-level domain\n";

    [Fact]
    public void Gpqa_csv_options_are_shuffled_per_record_id_with_the_letter_of_the_correct_one()
    {
        using var dir = new TempDir();
        var rows = Enumerable.Range(0, 12).Select(i =>
            CsvParser.Format(["old q", "old a", $" Question {i}, with a comma?\n", $"right {i} ", $"wrong {i}a", $"wrong {i}b", $"wrong {i}c",
                "Because:\n\"quoted\" reasons.", $"rec{i:D3}", "Physics"]));
        var f = dir.Write("gpqa_diamond.csv", GpqaHeader + string.Join("\n", rows) + "\n");
        var r = BenchmarkLoaders.Gpqa(f);
        Assert.Equal(12, r.Items.Count);
        var a = r.Items[0];
        Assert.Equal(("rec000", "gpqa", "Question 0, with a comma?"), (a.Id, a.Task, a.Question));
        Assert.Equal(["right 0", "wrong 0a", "wrong 0b", "wrong 0c"], a.Choices!.Order());
        Assert.All(r.Items, i => Assert.StartsWith("right", i.Choices![i.Gold[0] - 'A']));
        Assert.True(r.Items.Select(i => i.Gold).Distinct().Count() >= 3, string.Join(",", r.Items.Select(i => i.Gold)));
        Assert.Equal(r.Items, BenchmarkLoaders.Gpqa(f).Items);

        // The Hugging Face JSON export of the same row: same columns, so the same item but for its source.
        var json = dir.Write("gpqa.jsonl", """{"Question": "Question 0, with a comma?", "Correct Answer": "right 0", "Incorrect Answer 1": "wrong 0a", "Incorrect Answer 2": "wrong 0b", "Incorrect Answer 3": "wrong 0c", "Record ID": "rec000"}""");
        var j = BenchmarkLoaders.Gpqa(json).Items.Single();
        Assert.Equal(a.Choices, j.Choices);
        Assert.Equal((a.Gold, a.Id), (j.Gold, j.Id));
    }

    [Fact]
    public void Gpqa_missing_or_blank_answers_are_named()
    {
        using var dir = new TempDir();
        var f = dir.Write("gpqa.csv", "Question,Correct Answer,Incorrect Answer 1,Incorrect Answer 2,Incorrect Answer 3,Record ID\n" +
            "q1,a,b,c,d,r1\nq2,a,b,c,,r2\nq3,a,b,c,\"  \",r3\n");
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Gpqa(f));
        Assert.Equal((3, "Incorrect Answer 3"), (e.Line, e.Field));
        var r = BenchmarkLoaders.Gpqa(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal((1, 2), (r.Items.Count, r.Skipped));
        Assert.Contains("field 'Incorrect Answer 3': blank", r.SkipReasons[1]);
    }

    // ---- PIQA ----

    [Fact]
    public void Piqa_rows_with_labels_give_two_options()
    {
        using var dir = new TempDir();
        var f = dir.Write("piqa_validation.jsonl", """
            {"goal": "To separate egg whites from the yolk,", "sol1": "squeeze a water bottle over the yolk and release it.", "sol2": "squeeze a water bottle over the yolk and keep squeezing.", "label": 0}
            {"goal": "How do I ready a guinea pig cage?", "sol1": "Fill it with cold water.", "sol2": "Fill it with bedding.", "label": "1"}
            {"goal": "Test row", "sol1": "a", "sol2": "b", "label": -1}
            """);
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Piqa(f));
        Assert.Equal((3, "label"), (e.Line, e.Field));
        Assert.Contains("unlabelled", e.Message);
        var r = BenchmarkLoaders.Piqa(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(["A", "B"], r.Items.Select(i => i.Gold));
        Assert.Equal(["Fill it with cold water.", "Fill it with bedding."], r.Items[1].Choices);
        Assert.Equal(("piqa", "How do I ready a guinea pig cage?"), (r.Items[1].Task, r.Items[1].Question));
    }

    [Fact]
    public void Piqa_original_release_reads_labels_from_the_lst_file_beside_the_data()
    {
        using var dir = new TempDir();
        var f = dir.Write("valid.jsonl", """
            {"id": "p1", "goal": "g1", "sol1": "a1", "sol2": "b1"}

            {"id": "p2", "goal": "g2", "sol1": "a2", "sol2": "b2"}
            {"id": "p3", "goal": "g3", "sol1": "a3", "sol2": "b3"}
            """);
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Piqa(f));
        Assert.Equal((1, "label"), (e.Line, e.Field));
        Assert.Contains("valid-labels.lst", e.Message);

        dir.Write("valid-labels.lst", "1\n0\n");
        var r = BenchmarkLoaders.Piqa(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(["B", "A"], r.Items.Select(i => i.Gold));
        Assert.Equal(["p1", "p2"], r.Items.Select(i => i.Id));
        Assert.Equal($"{f}:3", r.Items[1].Source);
        Assert.Equal(1, r.Skipped);
        Assert.Contains("has only 2 lines", r.SkipReasons[0]);
    }

    // ---- AGIEval ----

    [Fact]
    public void AgiEval_original_rows_drop_option_letters_and_keep_the_passage()
    {
        using var dir = new TempDir();
        var f = dir.Write("lsat-lr.jsonl", """
            {"passage": "Editorial: The city should build a park.", "question": "Which one of the following most weakens the argument?", "options": ["(A)Parks cost money.", "(B)Nobody visits parks.", "(C) Cities like parks.", "(D)Trees grow.", "(E)A park exists."], "label": "B", "other": null}
            {"passage": null, "question": "If $x + 2 = 5$, what is $x$?", "options": ["A) 1", "B) 3", "C) 5", "D) 7"], "label": ["B"], "answer": null}
            {"passage": null, "question": "Cloze: compute 2+2.", "options": null, "label": null, "answer": "4"}
            {"passage": "p", "question": "Two answers?", "options": ["(A)x", "(B)y", "(C)z"], "label": ["A", "C"]}
            """);
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.AgiEval(f));
        Assert.Equal((3, "options"), (e.Line, e.Field));
        var r = BenchmarkLoaders.AgiEval(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(2, r.Items.Count);
        var a = r.Items[0];
        Assert.Equal(["Parks cost money.", "Nobody visits parks.", "Cities like parks.", "Trees grow.", "A park exists."], a.Choices);
        Assert.Equal(("B", "Editorial: The city should build a park.", "agieval"), (a.Gold, a.Passage, a.Task));
        Assert.Equal(["1", "3", "5", "7"], r.Items[1].Choices);
        Assert.Equal(("B", null), (r.Items[1].Gold, r.Items[1].Passage));
        Assert.Equal(2, r.Skipped);
        Assert.Contains("multi-answer", r.SkipReasons[1]);
    }

    [Fact]
    public void AgiEval_harness_rows_take_passage_and_question_back_out_of_the_query()
    {
        using var dir = new TempDir();
        var f = dir.Write("agieval-lsat-ar.json", """
            [
              {"query": "Six bands perform in slots 1-6.Q: Which one could be true? Answer Choices: (A)U is first (B)V is first (C)W is first\nA: Among A through C, the answer is",
               "choices": ["(A)U is first", "(B)V is first", "(C)W is first"], "gold": [2]},
              {"query": "Q: What is 2+3? Answer Choices: (A)4 (B)5 A: Among A through B, the answer is", "choices": ["(A)4", "(B)5"], "gold": [1]},
              {"query": "No layout here", "choices": ["(A)4", "(B)5"], "gold": [1]}
            ]
            """);
        var r = BenchmarkLoaders.AgiEval(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(2, r.Items.Count);
        Assert.Equal(("Six bands perform in slots 1-6.", "Which one could be true?", "C"), (r.Items[0].Passage, r.Items[0].Question, r.Items[0].Gold));
        Assert.Equal(["U is first", "V is first", "W is first"], r.Items[0].Choices);
        Assert.Equal((null, "What is 2+3?", "B"), (r.Items[1].Passage, r.Items[1].Question, r.Items[1].Gold));
        Assert.StartsWith($"{f}:5: field 'query'", r.SkipReasons.Single());
    }
}
