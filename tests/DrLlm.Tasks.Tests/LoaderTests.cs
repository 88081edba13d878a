using DrLlm.Tasks.Loading;

namespace DrLlm.Tasks.Tests;

public class LoaderTests
{
    private const string Ai2Arc =
        """
        {"id": "Mercury_1", "question": {"stem": "Which is a gas?", "choices": [{"text": "ice", "label": "A"}, {"text": "steam", "label": "B"}, {"text": "rock", "label": "C"}, {"text": "wood", "label": "D"}]}, "answerKey": "B"}
        {"id": "NYSED_2", "question": {"stem": "Pick two.", "choices": [{"text": "one", "label": "1"}, {"text": "two", "label": "2"}, {"text": "three", "label": "3"}]}, "answerKey": "2"}
        """;

    [Fact]
    public void Arc_ai2_jsonl_reads_stems_choices_and_normalises_numeric_labels()
    {
        using var dir = new TempDir();
        var f = dir.Write("arc.jsonl", Ai2Arc);
        var r = BenchmarkLoaders.Arc(f);
        Assert.Equal(2, r.Items.Count);
        var a = r.Items[0];
        Assert.Equal(("Mercury_1", "arc", "Which is a gas?", "B", Grading.MultipleChoiceLetter, "test"), (a.Id, a.Task, a.Question, a.Gold, a.Grading, a.Split));
        Assert.Equal(["ice", "steam", "rock", "wood"], a.Choices);
        Assert.Equal($"{f}:1", a.Source);
        Assert.Equal("B", r.Items[1].Gold);
        Assert.Equal(["one", "two", "three"], r.Items[1].Choices);
        Assert.Equal($"{f}:2", r.Items[1].Source);
        Assert.Null(a.Level);
    }

    [Fact]
    public void Arc_hugging_face_flattening_as_a_json_array_with_labels_out_of_order()
    {
        using var dir = new TempDir();
        var f = dir.Write("arc.json", """
            [
              {"id": "q1", "question": "Hot?", "choices": {"text": ["sun", "snow"], "label": ["A", "B"]}, "answerKey": "A"},
              {"id": "q2",
               "question": "Third?",
               "choices": {"text": ["c", "a", "b"], "label": ["C", "A", "B"]}, "answerKey": "C"}
            ]
            """);
        var r = BenchmarkLoaders.Arc(f, new LoadOptions { Split = "validation", TaskName = "arc-easy" });
        Assert.Equal(2, r.Items.Count);
        Assert.Equal(["a", "b", "c"], r.Items[1].Choices);
        Assert.Equal("C", r.Items[1].Gold);
        Assert.Equal(("arc-easy", "validation"), (r.Items[0].Task, r.Items[0].Split));
        Assert.Equal($"{f}:2", r.Items[0].Source);
        Assert.Equal($"{f}:3", r.Items[1].Source);
    }

    [Fact]
    public void Arc_bad_answer_key_names_file_line_and_field()
    {
        using var dir = new TempDir();
        var f = dir.Write("arc.jsonl", Ai2Arc.Replace("\"answerKey\": \"2\"", "\"answerKey\": \"E\""));
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Arc(f));
        Assert.Equal((f, 2, "answerKey"), (e.File, e.Line, e.Field));
        Assert.Contains($"{f}:2", e.Message);
        Assert.Contains("answerKey", e.Message);
    }

    [Fact]
    public void Arc_label_gaps_and_missing_fields_are_errors()
    {
        using var dir = new TempDir();
        var gap = dir.Write("gap.jsonl", """{"id":"x","question":"q","choices":{"text":["a","b"],"label":["A","C"]},"answerKey":"A"}""");
        Assert.Equal("choices.label", Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Arc(gap)).Field);
        var noStem = dir.Write("nostem.jsonl", """{"id":"x","question":{"choices":[]},"answerKey":"A"}""");
        Assert.Equal("question.stem", Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Arc(noStem)).Field);
    }

    [Fact]
    public void Bad_rows_fail_by_default_and_are_counted_when_skipped()
    {
        using var dir = new TempDir();
        var f = dir.Write("mixed.jsonl", string.Join("\n",
            """{"question": "1+1?", "answer": "so #### 2"}""",
            "",
            """{"question": "no final", "answer": "42"}""",
            """{"question": "broken" """,
            """{"question": "ok", "answer": "#### 1,234"}""",
            """[1, 2]""",
            """{"answer": "#### 3"}"""));
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Gsm8k(f));
        Assert.Equal((3, "answer"), (e.Line, e.Field));

        var r = BenchmarkLoaders.Gsm8k(f, new LoadOptions { SkipBadRows = true, MaxSkipReasons = 3 });
        Assert.Equal(["2", "1234"], r.Items.Select(i => i.Gold));
        Assert.Equal(4, r.Skipped);
        Assert.Equal(3, r.SkipReasons.Count);
        Assert.StartsWith($"{f}:3: field 'answer'", r.SkipReasons[0]);
        Assert.Contains($"{f}:4: not valid JSON", r.SkipReasons[1]);
        Assert.Contains($"{f}:6: expected a JSON object", r.SkipReasons[2]);
        Assert.Contains("skipped 4 bad rows", r.SkipSummary);
        Assert.EndsWith("…", r.SkipSummary);
    }

    [Fact]
    public void Gsm8k_gold_is_the_number_after_the_hashes_without_separators()
    {
        using var dir = new TempDir();
        var f = dir.Write("gsm.jsonl", """
            {"question": "Q1", "answer": "Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72"}
            {"question": "Q2", "answer": "#### -3.5"}
            {"question": "Q3", "answer": "#### 12 apples"}
            """);
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Gsm8k(f));
        Assert.Equal(3, e.Line);
        var r = BenchmarkLoaders.Gsm8k(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(["72", "-3.5"], r.Items.Select(i => i.Gold));
        Assert.All(r.Items, i => Assert.Equal(Grading.MathAnswer, i.Grading));
    }

    [Fact]
    public void Dart_reads_query_gt_ans_and_levels_in_both_spellings()
    {
        using var dir = new TempDir();
        var f = dir.Write("dart.jsonl", """
            {"query": "What is 1/2+1/4?", "gt_ans": "\\frac{3}{4}", "level": 3, "query_id": "d7"}
            {"query": "Area?", "gt_ans": 12, "level": "Level 5"}
            {"problem": "MATH style", "solution": "so \\boxed{\\frac{1}{2}}.", "level": "Level ?"}
            {"query": "No level", "gt_ans": "x+1"}
            """);
        var r = BenchmarkLoaders.Dart(f);
        Assert.Equal([3, 5, null, null], r.Items.Select(i => i.Level));
        Assert.Equal(["\\frac{3}{4}", "12", "\\frac{1}{2}", "x+1"], r.Items.Select(i => i.Gold));
        Assert.Equal("d7", r.Items[0].Id);
        Assert.Equal("dart-1", r.Items[1].Id);
        Assert.Equal("dart", r.Items[0].Task);
    }

    [Fact]
    public void Dart_bad_level_and_missing_answer_are_named()
    {
        using var dir = new TempDir();
        var f = dir.Write("dart.jsonl", """
            {"query": "q", "gt_ans": "1", "level": 9}
            {"query": "q"}
            """);
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Dart(f));
        Assert.Equal((1, "level"), (e.Line, e.Field));
        var r = BenchmarkLoaders.Dart(f, new LoadOptions { SkipBadRows = true });
        Assert.Empty(r.Items);
        Assert.Equal(2, r.Skipped);
        Assert.Contains("field 'gt_ans'", r.SkipReasons[1]);
    }

    [Fact]
    public void Mmlu_json_answers_may_be_indices_or_letters()
    {
        using var dir = new TempDir();
        var f = dir.Write("mmlu.json", """
            [{"question": "2+2?", "subject": "math", "choices": ["3", "4", "5", "6"], "answer": 1},
             {"question": "Capital?", "choices": ["a", "b", "c", "d"], "answer": "D"},
             {"question": "Bad", "choices": ["a", "b", "c", "d"], "answer": 4}]
            """);
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Mmlu(f));
        Assert.Equal((3, "answer"), (e.Line, e.Field));
        var r = BenchmarkLoaders.Mmlu(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(["B", "D"], r.Items.Select(i => i.Gold));
        Assert.Equal("math-0", r.Items[0].Id);
        Assert.Equal(1, r.Skipped);
    }

    [Fact]
    public void Mmlu_csv_without_header_with_quoted_commas_quotes_and_newlines()
    {
        using var dir = new TempDir();
        var f = dir.Write("mmlu_test.csv",
            "\"Which, of these, is \"\"red\"\"?\",apple,sky,grass,coal,A\r\n" +
            "\"A two-line\nquestion\",1,2,3,4,C\r\n" +
            "plain,w,x,y,z,b\n" +
            "short,row,A\n");
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Mmlu(f));
        Assert.Equal(5, e.Line); // the two-line question moves the last record to line 5
        var r = BenchmarkLoaders.Mmlu(f, new LoadOptions { SkipBadRows = true });
        Assert.Equal(3, r.Items.Count);
        Assert.Equal("Which, of these, is \"red\"?", r.Items[0].Question);
        Assert.Equal(["apple", "sky", "grass", "coal"], r.Items[0].Choices);
        Assert.Equal("A two-line\nquestion", r.Items[1].Question);
        Assert.Equal(("C", $"{f}:2"), (r.Items[1].Gold, r.Items[1].Source));
        Assert.Equal(("B", $"{f}:4"), (r.Items[2].Gold, r.Items[2].Source));
        Assert.Equal(1, r.Skipped);
    }

    [Fact]
    public void Mmlu_csv_header_row_is_recognised_and_ignored()
    {
        using var dir = new TempDir();
        var f = dir.Write("m.csv", "question,A,B,C,D,answer\nq,a,b,c,d,D\n");
        var r = BenchmarkLoaders.Mmlu(f);
        Assert.Single(r.Items);
        Assert.Equal("D", r.Items[0].Gold);
    }

    [Fact]
    public void Generic_numeric_option_texts_need_answers_text_to_be_read_as_texts()
    {
        using var dir = new TempDir();
        var f = dir.Write("g.jsonl", """{"q": "Largest?", "opts": ["1", "9", "4"], "label": "9"}""");
        // By default "9" is read as an index first, and names no option:
        Assert.Equal("label", Assert.Throws<TaskFormatException>(() => GenericLoader.Load(f, GenericSpec.Parse("question=q&choices=opts&answer=label"))).Field);
        var r = GenericLoader.Load(f, GenericSpec.Parse("question=q&choices=opts&answer=label&answers=text"));
        Assert.Equal("B", r.Items[0].Gold);
    }

    [Fact]
    public void Generic_mapping_reads_letters_indices_and_option_texts()
    {
        using var dir = new TempDir();
        var f = dir.Write("g.jsonl", """
            {"q": {"text": "Largest?"}, "opts": ["one", "nine", "four"], "label": "nine", "key": "k1", "hard": 2}
            {"q": {"text": "Smallest?"}, "opts": ["one", "nine", "four"], "label": 1, "key": "k2", "hard": "Level 1"}
            {"q": {"text": "Middle?"}, "opts": ["one", "nine", "four"], "label": "c", "key": "k3"}
            """);
        var r = GenericLoader.Load(f, GenericSpec.Parse("question=q.text&choices=opts&answer=label&id=key&level=hard&task=mine&index=1"));
        Assert.Equal(["B", "A", "C"], r.Items.Select(i => i.Gold));
        Assert.Equal(["k1", "k2", "k3"], r.Items.Select(i => i.Id));
        Assert.Equal([2, 1, null], r.Items.Select(i => i.Level));
        Assert.All(r.Items, i => Assert.Equal(("mine", Grading.MultipleChoiceLetter), (i.Task, i.Grading)));
    }

    [Fact]
    public void Generic_csv_with_header_and_option_columns_and_a_numeric_set_without_header()
    {
        using var dir = new TempDir();
        var mc = dir.Write("mc.csv", "prompt,o1,o2,o3,o4,gold\n\"Is it, or not?\",yes,no,maybe,never,B\n");
        var r = GenericLoader.Load(mc, GenericSpec.Parse("question=prompt&choices=o1,o2,o3,o4&answer=gold"));
        Assert.Equal(["yes", "no", "maybe", "never"], r.Items[0].Choices);
        Assert.Equal(("B", "Is it, or not?"), (r.Items[0].Gold, r.Items[0].Question));

        var num = dir.Write("num.csv", "What is 6*7?,42\nHalf of 3?,1.5\n");
        var n = GenericLoader.Load(num, GenericSpec.Parse("question=0&answer=1&header=0"));
        Assert.Equal(["42", "1.5"], n.Items.Select(i => i.Gold));
        Assert.All(n.Items, i => Assert.Equal(Grading.MathAnswer, i.Grading));
        Assert.Equal($"{num}:2", n.Items[1].Source);
    }

    [Theory]
    [InlineData("answer=a", "'question=FIELD' is required")]
    [InlineData("question=q", "'answer=FIELD' is required")]
    [InlineData("question=q&answer=a&grading=mc", "needs choices")]
    [InlineData("question=q&answer=a&colour=red", "unknown key 'colour'")]
    [InlineData("question=q&answer=a&index=2", "index must be 0 or 1")]
    [InlineData("question=q&answer=a&grading=essay", "grading must be")]
    [InlineData("question", "not key=value")]
    public void Generic_spec_errors_say_what_is_wrong(string query, string expected) =>
        Assert.Contains(expected, Assert.Throws<ArgumentException>(() => GenericSpec.Parse(query)).Message);

    [Fact]
    public void Csv_field_count_mismatch_against_the_header_is_a_bad_row()
    {
        using var dir = new TempDir();
        var f = dir.Write("g.csv", "question,answer\nq1,1\nq2,2,extra\nq3,3\n");
        var e = Assert.Throws<TaskFormatException>(() => GenericLoader.Load(f, GenericSpec.Parse("question=question&answer=answer")));
        Assert.Equal(3, e.Line);
        Assert.Contains("expected 2 CSV fields, got 3", e.Message);
        var r = GenericLoader.Load(f, GenericSpec.Parse("question=question&answer=answer"), new LoadOptions { SkipBadRows = true });
        Assert.Equal((2, 1), (r.Items.Count, r.Skipped));
    }

    [Fact]
    public void Json_array_syntax_error_names_the_line_and_cannot_be_skipped()
    {
        using var dir = new TempDir();
        var f = dir.Write("broken.json", "[\n  {\"question\": \"a\", \"answer\": \"#### 1\"},\n  {\"question\": \"b\" \"answer\": 2}\n]");
        var e = Assert.Throws<TaskFormatException>(() => BenchmarkLoaders.Gsm8k(f, new LoadOptions { SkipBadRows = true }));
        Assert.Equal(3, e.Line);
    }

    [Fact]
    public void Missing_file_is_a_file_not_found_error_naming_it() =>
        Assert.Contains("nowhere.jsonl", Assert.Throws<FileNotFoundException>(() => BenchmarkLoaders.Arc("/nowhere.jsonl")).Message);

    [Fact]
    public void Byte_order_mark_and_crlf_lines_are_accepted()
    {
        using var dir = new TempDir();
        var f = dir.Write("bom.jsonl", "\uFEFF{\"query\": \"q\", \"gt_ans\": \"1\"}\r\n{\"query\": \"r\", \"gt_ans\": \"2\"}\r\n");
        Assert.Equal(["1", "2"], BenchmarkLoaders.Dart(f).Items.Select(i => i.Gold));
    }
}
