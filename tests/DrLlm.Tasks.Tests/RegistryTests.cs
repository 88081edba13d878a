using DrLlm.Tasks.Loading;

namespace DrLlm.Tasks.Tests;

public class RegistryTests
{
    [Fact]
    public void Families_list_in_and_out_of_domain_with_grading_and_levels()
    {
        var f = TaskRegistry.Families.ToDictionary(x => x.Name);
        Assert.True(f["arith"].InDomain);
        Assert.True(f["mcq"].InDomain);
        Assert.False(f["ood-count"].InDomain);
        Assert.False(f["ood-order"].InDomain);
        Assert.Equal(Grading.MathAnswer, f["arith"].Grading);
        Assert.Equal(Grading.MultipleChoiceLetter, f["ood-order"].Grading);
        Assert.Equal((1, 7), (f["mcq"].MinLevel, f["mcq"].MaxLevel));
        Assert.True(f["arc"].InDomain && f["dart"].InDomain && !f["gsm8k"].InDomain && !f["mmlu"].InDomain);
        Assert.All(new[] { "arc", "dart", "gsm8k", "mmlu", "generic" }, n => Assert.True(f[n].NeedsFile));
        Assert.True(TaskRegistry.Synthetic.Count(s => !s.InDomain) >= 2);
    }

    [Fact]
    public void The_papers_other_out_of_domain_benchmarks_are_file_families_with_their_grading()
    {
        var f = TaskRegistry.Families.ToDictionary(x => x.Name);
        foreach (var (name, grading) in new[]
                 {
                     ("aime", Grading.MathAnswer), ("truthfulqa-mc1", Grading.MultipleChoiceLetter), ("squadv2", Grading.ExtractiveSpan),
                     ("gpqa", Grading.MultipleChoiceLetter), ("piqa", Grading.MultipleChoiceLetter), ("agieval", Grading.MultipleChoiceLetter),
                 })
        {
            Assert.Equal((false, grading, true), (f[name].InDomain, f[name].Grading, f[name].NeedsFile));
            Assert.Contains("needs a file", Assert.Throws<ArgumentException>(() => TaskRegistry.Resolve(name)).Message);
        }
        using var dir = new TempDir();
        var squad = dir.Write("squad.jsonl", """{"id": "q", "context": "c d", "question": "q?", "answers": {"text": ["d"], "answer_start": [2]}}""");
        Assert.Equal(["d"], TaskRegistry.Resolve($"squadv2:{squad}").Sample("test", 5).Single().Answers);
        var piqa = dir.Write("piqa.jsonl", """{"goal": "g", "sol1": "a", "sol2": "b", "label": 1}""");
        Assert.Equal("B", TaskRegistry.Resolve("piqa", piqa).Sample("test", 1).Single().Gold);
    }

    [Fact]
    public void Synthetic_names_resolve_to_generators()
    {
        var items = TaskRegistry.Resolve("arith").Sample("validation", 5, seed: 2);
        Assert.Equal(5, items.Count);
        Assert.All(items, i => Assert.Equal(("arith", "validation"), (i.Task, i.Split)));
        Assert.Equal(items, TaskRegistry.FindSynthetic("arith")!.Items("validation", 2).Take(5));
        Assert.Throws<ArgumentException>(() => TaskRegistry.Resolve("arith", "some.jsonl"));
    }

    [Fact]
    public void File_names_resolve_to_loaders_with_the_file_in_the_name_or_apart()
    {
        using var dir = new TempDir();
        var f = dir.Write("gsm.jsonl", string.Join("\n", Enumerable.Range(1, 10).Select(i => $$"""{"question": "q{{i}}", "answer": "#### {{i}}"}""")));
        Assert.Equal(10, TaskRegistry.Resolve($"gsm8k:{f}").Sample("test", 100).Count);
        var five = TaskRegistry.Resolve("gsm8k", f).Sample("test", 5, seed: 1);
        Assert.Equal(5, five.Count);
        Assert.Equal(five.OrderBy(i => int.Parse(i.Gold)), five); // a seeded choice, kept in file order
        Assert.Equal(five, TaskRegistry.Resolve("gsm8k", f).Sample("test", 5, seed: 1));
        Assert.Contains("holds split 'test'", Assert.Throws<ArgumentException>(() => TaskRegistry.Resolve($"gsm8k:{f}").Sample("train", 1)).Message);
        Assert.Equal("train", TaskRegistry.Resolve($"gsm8k:{f}", options: new LoadOptions { Split = "train" }).Sample("train", 1)[0].Split);
    }

    [Fact]
    public void Generic_names_carry_their_field_mapping()
    {
        using var dir = new TempDir();
        var f = dir.Write("g.jsonl", """{"prompt": "Pick", "opts": ["x", "y"], "ans": "B"}""");
        var items = TaskRegistry.Resolve($"generic:{f}?question=prompt&choices=opts&answer=ans").Sample("test", 1);
        Assert.Equal(("B", Grading.MultipleChoiceLetter, "generic"), (items[0].Gold, items[0].Grading, items[0].Task));
        var apart = TaskRegistry.Resolve("generic:?question=prompt&choices=opts&answer=ans&task=picks", f).Sample("test", 1);
        Assert.Equal("picks", apart[0].Task);
    }

    [Theory]
    [InlineData("nope", "unknown task 'nope'")]
    [InlineData("arc", "needs a file")]
    [InlineData("arc:", "needs a file")]
    [InlineData("wiki:f.jsonl", "unknown task")]
    public void Bad_names_say_what_is_known(string name, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => TaskRegistry.Resolve(name)).Message);

    [Fact]
    public void A_name_and_a_file_that_disagree_are_an_error() =>
        Assert.Throws<ArgumentException>(() => TaskRegistry.Resolve("arc:a.jsonl", "b.jsonl"));
}
