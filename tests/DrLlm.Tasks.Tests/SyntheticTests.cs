using System.Data;
using System.Text.RegularExpressions;
using DrLlm.Tasks.Graders;
using DrLlm.Tasks.Prompts;
using DrLlm.Tasks.Synthetic;

namespace DrLlm.Tasks.Tests;

public class SyntheticTests
{
    public static TheoryData<string> FamilyNames => new(TaskRegistry.Synthetic.Select(f => f.Name));

    private static SyntheticFamily Family(string name) => TaskRegistry.FindSynthetic(name)!;

    private static string Key(TaskItem i) => i.Question + "|" + string.Join("|", (i.Choices ?? []).Order(StringComparer.Ordinal));

    [Theory, MemberData(nameof(FamilyNames))]
    public void Same_family_split_index_and_seed_give_the_same_item(string name)
    {
        var f = Family(name);
        foreach (var split in SyntheticFamily.SplitNames)
            for (int i = 0; i < 50; i++)
                Assert.Equal(f.Item(split, i, seed: 3), f.Item(split, i, seed: 3));
        // Random access: item 40 alone equals item 40 of the stream.
        Assert.Equal(f.Items("test").ElementAt(40), f.Item("test", 40));
        // Another seed gives another stream.
        Assert.NotEqual(f.Items("train", 0).Take(20).Select(Key), f.Items("train", 1).Take(20).Select(Key));
    }

    [Fact]
    public void Items_are_pinned_so_a_generator_change_is_noticed()
    {
        // Trained models and stored experiments refer to items by (family, seed, split, index): these must not drift.
        Assert.Equal("Q: 31+23=? A:", TaskPrompts.Base(Family("arith").Item("train", 0)));
        Assert.Equal("54", Family("arith").Item("train", 0).Gold);
        Assert.Equal("Q: Next: 15, 16, 17, 18, ? (A) 20 (B) 19 (C) 17 (D) 21 Answer:", TaskPrompts.Base(Family("mcq").Item("train", 0)));
        Assert.Equal("Q: Which option is 74? (A) 10 (B) 74 (C) 86 (D) 99 Answer:", TaskPrompts.Base(Family("mcq").Item("test", 2)));
    }

    [Fact]
    public void Mcq_levels_3_to_7_are_the_first_versions_levels_1_to_5_renumbered()
    {
        // The shipped demo model's first 14,000 steps were trained on mcq before levels 1-2 existed; its recipe
        // reproduces them with mcq:3-7. These prompts are what the first version generated (captured before the change).
        var mcq = Family("mcq");
        Assert.Equal("Q: Which is smallest? (A) 21 (B) 77 (C) 31 (D) 30 Answer:", TaskPrompts.Base(mcq.Item("test", 0, level: 3)));
        Assert.Equal("Q: If te then zu. If vu then no. If no then to. vu is true. Which is true? (A) lu (B) to (C) te (D) zu Answer:",
            TaskPrompts.Base(mcq.Item("test", 0, level: 6)));
        // The old default stream (levels drawn over 1-5) is the stream over 3-7: the training corpus of seed 1337.
        var first = mcq.Item("train", 0, 1337, 3, 7);
        Assert.Equal(("Q: Which is largest? (A) 11+6 (B) 3+8 (C) 10-5 (D) 6*8 Answer:", " D\n"), TaskPrompts.TrainingText(first));
        Assert.Equal(5, first.Level);
        Assert.Equal("Q: If zu then ma. If na then mu. If ma then ke. zu is true. Which is true? (A) mu (B) na (C) ke (D) vi Answer:",
            TaskPrompts.Base(mcq.Item("train", 1, 1337, 3, 7)));
    }

    [Fact]
    public void Level_ranges_draw_evenly_within_the_range_and_bad_ranges_name_the_family()
    {
        var mcq = Family("mcq");
        var counts = mcq.Items("train", 0, 1, 2).Take(400).GroupBy(i => i.Level!.Value).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([1, 2], counts.Keys.Order());
        Assert.All(counts.Values, c => Assert.InRange(c, 150, 250));
        Assert.Equal(mcq.Item("test", 9, 0, level: 2), mcq.Item("test", 9, 0, 2, 2));
        Assert.Contains("mcq: level 8 out of range 1-7", Assert.Throws<ArgumentException>(() => mcq.Item("test", 0, 0, 3, 8)).Message);
        Assert.Contains("empty level range 5-3", Assert.Throws<ArgumentException>(() => mcq.Item("test", 0, 0, 5, 3)).Message);
    }

    [Theory, MemberData(nameof(FamilyNames))]
    public void No_question_appears_in_two_splits_for_any_seed(string name)
    {
        var f = Family(name);
        var owner = new Dictionary<string, string>();
        foreach (var seed in new[] { 0, 7 })
            foreach (var (split, n) in new[] { ("train", 1500), ("validation", 300), ("test", 300) })
                foreach (var item in f.Items(split, seed).Take(n))
                {
                    Assert.Equal(split, item.Split);
                    Assert.Equal(split, f.SplitOf(item.Question, item.Choices));
                    var key = Key(item);
                    if (owner.TryGetValue(key, out var other)) Assert.Equal(other, split);
                    else owner[key] = split;
                }
        Assert.True(owner.Count > 500, $"{name}: only {owner.Count} distinct questions");
    }

    [Theory, MemberData(nameof(FamilyNames))]
    public void Levels_are_spread_evenly_and_can_be_fixed(string name)
    {
        var f = Family(name);
        var counts = f.Items("train").Take(2100).GroupBy(i => i.Level!.Value).ToDictionary(g => g.Key, g => g.Count());
        int levels = f.MaxLevel - f.MinLevel + 1;
        for (int level = f.MinLevel; level <= f.MaxLevel; level++)
            Assert.InRange(counts.GetValueOrDefault(level), 0.75 * 2100 / levels, 1.25 * 2100 / levels);
        Assert.All(f.Items("test", level: 4).Take(30), i => Assert.Equal(4, i.Level));
        Assert.Throws<ArgumentException>(() => f.Item("test", 0, level: f.MaxLevel + 1));
        Assert.Throws<ArgumentException>(() => f.Item("dev", 0));
    }

    [Theory, MemberData(nameof(FamilyNames))]
    public void Prompts_are_short_ascii_and_the_completion_fits_the_budget_and_grades_correct(string name)
    {
        var f = Family(name);
        foreach (var item in f.Items("train").Take(1500).Concat(f.Items("test").Take(300)))
        {
            var (prompt, completion) = TaskPrompts.TrainingText(item);
            Assert.All(prompt + completion, c => Assert.InRange(c, (char)10, (char)126));
            Assert.True(prompt.Length < (item.Level <= 3 ? 120 : 200), $"{item.Id}: {prompt.Length} chars: {prompt}");
            Assert.EndsWith(TaskPrompts.StopMarker, completion);
            Assert.StartsWith(" ", completion);
            // A byte-level model spends one token per byte: the answer must fit the family's budget.
            Assert.True(completion.TrimEnd('\n').Length <= TaskPrompts.NewTokenBudget(item, ModelKind.Base), $"{item.Id}: '{completion}'");
            Assert.True(Grader.Grade(item, completion).Correct, $"{item.Id}: '{completion}' should grade correct");
            Assert.True(Grader.Grade(item, completion + "Q: 1+2=? A: 3\n").Correct, $"{item.Id}: run-on text after the stop marker must not count");
            Assert.False(Grader.Grade(item, WrongAnswer(item)).Correct, $"{item.Id}: '{WrongAnswer(item)}' should grade wrong");
            Assert.Equal(PromptLayout.Compact, item.Layout);
            Assert.Equal(f.InDomain, TaskRegistry.Families.Single(x => x.Name == name).InDomain);
        }
    }

    private static string WrongAnswer(TaskItem item) => item.Grading == Grading.MultipleChoiceLetter
        ? $" {(char)('A' + (item.Gold[0] - 'A' + 1) % item.Choices!.Count)}\n"
        : $" {long.Parse(item.Gold) + 1}\n";

    [Theory]
    [InlineData("mcq")]
    [InlineData("ood-order")]
    public void Correct_letters_are_spread_over_the_four_positions(string name)
    {
        var golds = Family(name).Items("train").Take(2000).GroupBy(i => i.Gold).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["A", "B", "C", "D"], golds.Keys.Order());
        Assert.All(golds.Values, c => Assert.InRange(c, 400, 600));
        Assert.All(Family(name).Items("test").Take(200), i => Assert.Equal(4, i.Choices!.Distinct().Count()));
    }

    // ---- answers recomputed from the text alone, independently of the generators ----

    private static long Compute(string expr) => Convert.ToInt64(new DataTable().Compute(expr, null));

    [Fact]
    public void Arith_answers_recomputed_from_the_question()
    {
        foreach (var item in Family("arith").Items("train").Take(1500))
        {
            long expected;
            if (item.Level < 5)
            {
                Assert.EndsWith("=?", item.Question);
                expected = Compute(item.Question[..^2]);
            }
            else expected = WordProblem(item.Question);
            Assert.Equal(expected.ToString(), item.Gold);
        }
    }

    private static long WordProblem(string q)
    {
        var n = Regex.Matches(q, @"\d+").Select(m => long.Parse(m.Value)).ToArray();
        if (q.Contains("packs of")) return n[0] + n[1] * n[2] - n[3];
        if (q.Contains("box holds")) return n[0] * n[1] + n[2];
        if (q.Contains("doubled")) return 2 * (n[0] - n[1]);
        if (q.Contains("shares the rest")) return (n[0] - n[1]) / n[2];
        if (q.Contains("bus")) return n[0] - n[1] + n[2];
        throw new Xunit.Sdk.XunitException($"unknown word problem: {q}");
    }

    [Fact]
    public void Mcq_answers_recomputed_from_the_question()
    {
        foreach (var item in Family("mcq").Items("train").Take(1500))
        {
            var opts = item.Choices!;
            int gold = item.Gold[0] - 'A';
            if (Regex.Match(item.Question, @"^Which option is (\d+)\?$") is { Success: true } lookup)
                Assert.Equal(lookup.Groups[1].Value, opts[gold]);
            else if (item.Question.StartsWith("Which is"))
            {
                var values = opts.Select(Compute).ToList();
                var best = item.Question.Contains("largest") ? values.Max() : values.Min();
                Assert.Single(values, best);
                Assert.Equal(values.IndexOf(best), gold);
            }
            else if (item.Question.StartsWith("Next:"))
            {
                var t = Regex.Matches(item.Question, @"\d+").Select(m => long.Parse(m.Value)).ToArray();
                var rules = new List<long>();
                if (t[1] - t[0] == t[2] - t[1] && t[2] - t[1] == t[3] - t[2]) rules.Add(t[3] + t[3] - t[2]);
                if (t[1] % t[0] == 0 && t[1] * t[1] == t[0] * t[2] && t[2] * t[2] == t[1] * t[3]) rules.Add(t[3] * (t[1] / t[0]));
                var k = (long)Math.Round(Math.Sqrt(t[0]));
                if (Enumerable.Range(0, 4).All(i => t[i] == (k + i) * (k + i))) rules.Add((k + 4) * (k + 4));
                if (t[2] == t[0] + t[1] && t[3] == t[1] + t[2]) rules.Add(t[2] + t[3]);
                if (t[3] - t[2] == t[1] - t[0] && t[2] - t[1] != t[1] - t[0]) rules.Add(t[3] + t[2] - t[1]);
                Assert.Single(rules.Distinct());
                Assert.Equal(rules[0].ToString(), opts[gold]);
            }
            else
            {
                var implies = Regex.Matches(item.Question, @"If (\w+) then (\w+)\.").ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
                var known = new HashSet<string> { Regex.Match(item.Question, @"(\w+) is true").Groups[1].Value };
                while (known.Select(s => implies.GetValueOrDefault(s)).OfType<string>().FirstOrDefault(s => !known.Contains(s)) is { } next) known.Add(next);
                Assert.Equal([gold], opts.Select((o, i) => (o, i)).Where(x => known.Contains(x.o)).Select(x => x.i));
            }
        }
    }

    [Fact]
    public void Ood_answers_recomputed_from_the_question()
    {
        foreach (var item in Family("ood-count").Items("test").Take(300))
        {
            var m = Regex.Match(item.Question, @"^How many (\w) in (\w+)\?$");
            Assert.True(m.Success, item.Question);
            Assert.Equal(m.Groups[2].Value.Count(c => c == m.Groups[1].Value[0]).ToString(), item.Gold);
        }
        foreach (var item in Family("ood-order").Items("test").Take(300))
        {
            var sorted = item.Choices!.Order(StringComparer.Ordinal).ToList();
            var expected = item.Question.Contains("first") ? sorted[0] : sorted[^1];
            Assert.Equal(expected, item.Choices![item.Gold[0] - 'A']);
        }
    }

    [Fact]
    public void Arith_levels_grow_in_difficulty_as_documented()
    {
        var f = Family("arith");
        Assert.All(f.Items("train", level: 1).Take(100), i => Assert.Matches(@"^\d{1,2}\+\d{1,2}=\?$", i.Question));
        Assert.All(f.Items("train", level: 2).Take(100), i => Assert.Matches(@"^\d{2}[+-]\d{2}=\?$", i.Question));
        Assert.All(f.Items("train", level: 3).Take(100), i => Assert.Matches(@"^\d+[+*-]\d+[+*-]\d+=\?$", i.Question));
        Assert.All(f.Items("train", level: 4).Take(100), i => Assert.Contains("(", i.Question));
        Assert.All(f.Items("train", level: 5).Take(100), i => Assert.EndsWith("?", i.Question));
        Assert.All(f.Items("train", level: 2).Take(100), i => Assert.True(long.Parse(i.Gold) >= 0));
        // Fixed-level streams are drawn independently: item i at level 1 is no relabelled copy of item i at level 2.
        var order = Family("ood-order");
        Assert.NotEqual(order.Item("train", 0, level: 1).Choices!.Order(), order.Item("train", 0, level: 2).Choices!.Order());
    }
}
