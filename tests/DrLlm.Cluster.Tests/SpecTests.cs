using DrLlm.Cluster.Spec;
using DrLlm.Tests.Shared;

namespace DrLlm.Cluster.Tests;

public sealed class SpecTests
{
    private const string Yaml = """
        name: demo
        models: [a, b]
        tasks:
          - name: arith
            search: {split: train, n: 4}
            eval: {split: test, n: 3}
          - name: ood-count
            eval: {split: test, n: 2}
        search:
          simulations: [10, 20]
          exploration: 1.8
          checkpoint_every: 5
        router: {epochs: 2, hidden: 8}
        seeds: [0, 1]
        """;

    private const string Json = """
        {"name": "demo", "models": ["a", "b"],
         "tasks": [{"name": "arith", "search": {"split": "train", "n": 4}, "eval": {"split": "test", "n": 3}},
                   {"name": "ood-count", "eval": {"split": "test", "n": 2}}],
         "search": {"simulations": [10, 20], "exploration": 1.8, "checkpoint_every": 5},
         "router": {"epochs": 2, "hidden": 8}, "seeds": [0, 1]}
        """;

    [Fact]
    public void Yaml_and_json_read_the_same_and_expand_the_grid()
    {
        var y = SweepSpec.Parse(Yaml, "s.yaml");
        var j = SweepSpec.Parse(Json, "s.json");
        Assert.Equal(y.ToJson(), j.ToJson());
        // 2 models × 1 in-domain task × 2 settings × 2 seeds
        var plans = y.Experiments().ToList();
        Assert.Equal(8, plans.Count);
        Assert.Equal([10, 20], y.Grid.Select(g => g.Search.Simulations));
        Assert.All(y.Grid, g => Assert.Equal(2, g.Router.Epochs));
        Assert.False(y.Tasks[1].InDomain);
        Assert.Equal(3, y.Tasks[0].Items(y.Tasks[0].Eval).Count);
        // settings survive the JSON round trip that experiments rows hold
        var s = y.Grid[1];
        Assert.Equal(s.Key, ExperimentSettings.FromJson(s.ToJson()).Key);
        Assert.Equal(s.Router, ExperimentSettings.FromJson(s.ToJson()).Router);
    }

    /// <summary>The dashboard's YAML export (SpecText.ToYaml) reads back as the same spec, awkward strings included.</summary>
    [Fact]
    public void A_spec_exported_as_yaml_reads_back_the_same()
    {
        foreach (var text in new[] { Yaml, Json, Yaml.Replace("name: demo", "name: \"a: b # c, [d] 'e' \\\"f\\\" é\"") })
        {
            var spec = SweepSpec.Parse(text, "s");
            var yaml = SpecText.ToYaml(SpecText.Parse(text, "s"));
            Assert.Equal(spec.ToJson(), SweepSpec.Parse(yaml, "export").ToJson());
            Assert.Equal(SpecText.Parse(text, "s")!.ToJsonString(), SpecText.Parse(yaml, "export")!.ToJsonString());
        }
        Assert.Equal(8, SweepSpec.Parse(Yaml, "s").ExperimentCount);
        // each experiment: 4 searched + 3 evaluated in domain + 2 out of domain
        Assert.Equal(8L * (4 + 3 + 2), SweepSpec.Parse(Yaml, "s").ExampleCount);
    }

    [Theory]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: arith\n    search: {split: train, n: 2}\n    eval: {split: tset, n: 2}\n", "spec.yaml: tasks[0].eval.split: must be train, validation or test, got 'tset'")]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: nope\n    eval: {n: 2}\n", "spec.yaml: tasks[0].name: unknown task 'nope'")]
    [InlineData("name: x\nmodels: []\ntasks:\n  - name: arith\n    search: {n: 2}\n    eval: {n: 2}\n", "spec.yaml: models: must be a non-empty list")]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: arith\n    search: {n: -3}\n    eval: {n: 2}\n", "spec.yaml: tasks[0].search.n: must be in 1..100000, got -3")]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: ood-count\n    search: {n: 2}\n    eval: {n: 2}\n", "spec.yaml: tasks[0].search: an out-of-domain task is only evaluated")]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: arith\n    search: {n: 2}\n    eval: {n: 2}\nsearch: {simulations: [10, ten]}\n", "spec.yaml: search.simulations[1]: must be a number")]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: arith\n    search: {n: 2}\n    eval: {n: 2}\nroutr: {epochs: 2}\n", "spec.yaml: routr: unknown field")]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: arith\n    search: {n: 2}\n    eval: {n: 2}\nrouter: {class_balance_beta: 1}\n", "spec.yaml: router.class_balance_beta: must be in [1E-09, 0.999999], got 1")]
    [InlineData("name: x\nmodels: [a]\ntasks:\n  - name: arith\n    search: {split: test, n: 2}\n    eval: {split: test, n: 2}\n", "spec.yaml: tasks[0].eval.split: evaluates on the split it searches")]
    [InlineData("name: [unclosed\n", "spec.yaml: not valid YAML")]
    public void Bad_specs_name_the_field(string yaml, string expected)
    {
        var e = Assert.Throws<SpecException>(() => SweepSpec.Parse(yaml, "spec.yaml"));
        Assert.Contains(e.Errors, m => m.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var e = Assert.Throws<SpecException>(() => SweepSpec.Parse("models: [a]\ntasks: []\nseeds: [x]\n", "s.yaml"));
        Assert.Contains("s.yaml: name: required", e.Errors);
        Assert.Contains(e.Errors, m => m.StartsWith("s.yaml: tasks:", StringComparison.Ordinal));
        Assert.Contains(e.Errors, m => m.StartsWith("s.yaml: seeds[0]:", StringComparison.Ordinal));
    }
}

[Collection("pg")]
public sealed class SpecCliTests(PostgresServer pg)
{
    [Fact]
    public void A_malformed_spec_is_refused_with_its_errors_and_creates_nothing()
    {
        var cs = pg.CreateDatabase();
        var file = Specs.Write("name: bad\nmodels: [a]\ntasks:\n  - name: arith\n    search: {n: 0}\n    eval: {split: nope}\n");
        var (code, output, err) = DrllmProcess.Run("sweep", "launch", file, "--db", cs);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains($"{file}: tasks[0].search.n: must be in 1..100000, got 0", err);
        Assert.Contains($"{file}: tasks[0].eval.split: must be train, validation or test, got 'nope'", err);
        Assert.DoesNotContain("   at ", err); // no stack trace
        // Validation happens before the database is touched: nothing was created, not even the schema.
        Assert.Equal(0L, Db.Scalar<long>(cs, "select count(*) from information_schema.tables where table_name = 'sweeps'"));
    }

    [Fact]
    public void Cli_errors_for_missing_connection_and_unknown_sweep()
    {
        var cs = pg.CreateDatabase();
        var (code, _, err) = DrllmProcess.Run("sweep", "status", "42", "--db", cs);
        Assert.Equal(1, code);
        Assert.Contains("error: no sweep 42", err);
        (code, var output, _) = DrllmProcess.Run("nodes", "--db", cs);
        Assert.Equal(0, code);
        Assert.Contains("no nodes have joined", output);
    }
}
