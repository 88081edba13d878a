using DrLlm.Cluster.Spec;

namespace DrLlm.Cluster.Tests;

/// <summary>
/// Hostile spec text (issue 16): each of these once crashed the process (stack overflow, out of memory), threw an
/// exception type the CLI and the dashboard do not expect, or failed without a line number. Each is now one
/// <see cref="SpecException"/> naming the source and, where there is one, the line. No database needed.
/// </summary>
public sealed class SpecTextTests
{
    private const string Valid = "name: x\nmodels: [a]\ntasks:\n  - name: arith\n    search: {split: train, n: 2}\n    eval: {split: test, n: 2}\n";

    private static string Error(string text)
    {
        var e = Assert.Throws<SpecException>(() => SweepSpec.Parse(text, "spec.yaml"));
        var error = Assert.Single(e.Errors);
        Assert.StartsWith("spec.yaml: ", error);
        return error;
    }

    [Fact]
    public void A_recursive_alias_is_refused_naming_its_line()
    {
        Assert.Equal("spec.yaml: line 2: alias *m refers to the value it is inside (a recursive alias)",
            Error("name: x\nmodels: &m [a, *m]\n"));
        Assert.Contains("recursive alias", Error("name: x\nsearch: &s\n  nested: {again: *s}\n"));
    }

    [Fact]
    public void An_alias_expansion_bomb_is_refused_before_it_is_expanded()
    {
        // Nine levels of ten aliases each: a billion values if expanded.
        var lines = new List<string> { "name: x", "l0: &l0 [a, a, a, a, a, a, a, a, a, a]" };
        for (int i = 1; i <= 9; i++) lines.Add($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]");
        Assert.Contains($"expands to more than {SpecText.MaxNodes:N0} values (aliases included)", Error(string.Join("\n", lines)));
    }

    [Fact]
    public void An_alias_to_an_anchor_never_defined_is_named()
    {
        Assert.Equal("spec.yaml: line 2: alias *nope names no anchor defined before it", Error("name: x\nmodels: *nope\n"));
    }

    [Theory]
    [InlineData("name: x\n? [a, b]\n: 1\n", "spec.yaml: line 2: a list or mapping as a mapping key")]
    [InlineData("name: x\n? {a: 1}\n: 1\n", "spec.yaml: line 2: a list or mapping as a mapping key")]
    [InlineData("k: &k a\nname: x\n*k : 1\n", "spec.yaml: line 3: an alias as a mapping key")]
    [InlineData("name: x\nmodels: [a]\nname: y\n", "spec.yaml: line 3: duplicate key 'name'")]
    [InlineData("name: x\n---\nname: y\n", "spec.yaml: line 2: a second YAML document")]
    public void Complex_and_duplicate_keys_and_extra_documents_are_refused_by_line(string yaml, string expected)
    {
        Assert.StartsWith(expected, Error(yaml));
    }

    [Theory]
    [InlineData("name: x\nmodels: [a\n")]
    [InlineData("name: x\n  models: [a]\n")]
    [InlineData("name: \"unterminated\n")]
    [InlineData("name: x\nmodels: [a]]\n")]
    [InlineData("name: x\nmodels: {a: 1\n")]
    public void Syntax_errors_name_the_line(string yaml)
    {
        Assert.Matches(@"^spec\.yaml: not valid YAML \(line \d+, column \d+: \S", Error(yaml));
    }

    [Fact]
    public void Nesting_past_the_limit_is_refused_in_flow_and_block_style_and_in_json()
    {
        string flow = "name: x\nmodels: " + new string('[', 20_000) + new string(']', 20_000) + "\n";
        Assert.Equal($"spec.yaml: line 2: lists and mappings nest more than {SpecText.MaxDepth} deep", Error(flow));
        var block = new System.Text.StringBuilder("name: x\nmodels:\n");
        for (int i = 1; i <= 200; i++) block.Append(' ', i).Append(i == 200 ? "- a\n" : "-\n");
        Assert.Contains($"nest more than {SpecText.MaxDepth} deep", Error(block.ToString()));
        string json = "{\"name\": " + new string('[', 20_000) + new string(']', 20_000) + "}";
        Assert.StartsWith("spec.yaml: not valid JSON (", Error(json));
        // At the limit it still parses (and fails validation as an ordinary spec would).
        string ok = Valid + "search: {simulations: " + new string('[', SpecText.MaxDepth - 2) + "5" + new string(']', SpecText.MaxDepth - 2) + "}\n";
        Assert.DoesNotContain("nest more than", Error(ok));
    }

    [Fact]
    public void Json_with_a_duplicate_key_is_refused()
    {
        Assert.StartsWith("spec.yaml: not valid JSON (", Error("{\"name\": \"a\", \"name\": \"b\"}"));
    }

    [Fact]
    public void A_spec_larger_than_the_limit_is_refused_by_its_size()
    {
        string big = Valid + "# " + new string('x', SpecText.MaxChars) + "\n";
        Assert.StartsWith($"spec.yaml: the spec is {big.Length:N0} characters; at most {SpecText.MaxChars:N0}", Error(big));
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, big + big + big + big + big);
            var e = Assert.Throws<SpecException>(() => SweepSpec.Load(file));
            Assert.StartsWith($"{file}: the spec is ", Assert.Single(e.Errors));
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void Anchors_and_aliases_within_the_limits_still_work()
    {
        var spec = SweepSpec.Parse("""
            name: x
            models: [a]
            tasks:
              - name: arith
                search: &sample {split: train, n: 2}
                eval: {split: test, n: 2}
              - name: mcq
                search: *sample
                eval: {split: test, n: 2}
            """, "spec.yaml");
        Assert.Equal(2, spec.Tasks.Count);
        Assert.Equal(spec.Tasks[0].Search, spec.Tasks[1].Search);
        // An empty document is an empty spec, not a crash.
        Assert.StartsWith("spec.yaml: the spec must be an object", Error(""));
        Assert.StartsWith("spec.yaml: the spec must be an object", Error("# only a comment\n"));
    }
}
