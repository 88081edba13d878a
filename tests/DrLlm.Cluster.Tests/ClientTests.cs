using System.Diagnostics;
using DrLlm.Cluster.Spec;
using DrLlm.Tests.Shared;

namespace DrLlm.Cluster.Tests;

/// <summary>The cluster's clients (the CLI's cluster commands) against a database that is not there, or named wrongly:
/// one line that says which, within 10 s, never a stack trace.</summary>
public sealed class ClientTests
{
    private static readonly string Spec = Specs.Write(Specs.Standin("x", "sa", n: 2, sims: 2, every: 1));

    private static readonly string[][] All =
        [["nodes"], ["sweep", "status", "1"], ["sweep", "cancel", "1"], ["sweep", "launch", Spec], ["node", "--models", "sa=standin:latency=1ms"]];

    public static TheoryData<string[]> Commands => [.. All];

    private static (int Code, string Err, TimeSpan Took) Run(string[] command, string db)
    {
        var sw = Stopwatch.StartNew();
        var (code, _, err) = DrllmProcess.Run([.. command, "--db", db]);
        return (code, err, sw.Elapsed);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_closed_port_is_reported_within_10_s(string[] command)
    {
        var (code, err, took) = Run(command, "Host=127.0.0.1;Port=1;Username=drllm;Database=drllm");
        Assert.Equal(1, code);
        Assert.Contains("cannot reach the cluster database", err);
        Assert.DoesNotContain("   at ", err);
        Assert.True(took < TimeSpan.FromSeconds(10), $"took {took.TotalSeconds:F1} s");
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void A_host_that_never_answers_is_reported_within_10_s(string[] command)
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): routed nowhere, so the connection attempt hangs until its timeout.
        var (code, err, took) = Run(command, "Host=192.0.2.1;Port=5432;Username=drllm;Database=drllm");
        Assert.Equal(1, code);
        Assert.Contains("cannot reach the cluster database at 192.0.2.1:5432", err);
        Assert.True(took < TimeSpan.FromSeconds(10), $"took {took.TotalSeconds:F1} s");
    }

    [Theory]
    [InlineData("Host=127.0.0.1;Port=notaport", "malformed database connection string")]
    [InlineData("Hots=127.0.0.1", "malformed database connection string")]
    [InlineData("Port=5432;Username=drllm", "no Host")]
    public void A_malformed_connection_string_is_reported_as_such(string db, string expected)
    {
        foreach (var command in All)
        {
            var (code, err, took) = Run(command, db);
            Assert.Equal(1, code);
            Assert.Contains(expected, err);
            Assert.DoesNotContain("cannot reach", err);
            Assert.True(took < TimeSpan.FromSeconds(10));
        }
    }

    [Fact]
    public void A_sweep_far_larger_than_the_limit_is_refused_at_once_with_its_size()
    {
        var axis = "[" + string.Join(", ", Enumerable.Range(1, 40)) + "]";
        var yaml = $$"""
            name: huge
            models: [a]
            tasks:
              - name: arith
                search: {split: train, n: 4}
                eval: {split: test, n: 2}
            search:
              simulations: {{axis}}
              exploration: {{axis}}
              length_penalty: {{axis}}
              random_child_probability: [{{string.Join(", ", Enumerable.Range(0, 25).Select(i => (i / 25.0).ToString(System.Globalization.CultureInfo.InvariantCulture)))}}]
            seeds: [0]
            """;
        var sw = Stopwatch.StartNew();
        var e = Assert.Throws<SpecException>(() => SweepSpec.Parse(yaml, "huge.yaml"));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"took {sw.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("huge.yaml: the spec expands to 1,600,000 experiments", e.Message);
        Assert.Contains("limit of 10,000", e.Message);
    }
}
