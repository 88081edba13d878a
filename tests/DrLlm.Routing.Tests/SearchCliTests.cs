using System.Diagnostics;
using System.Text.Json.Nodes;
using DrLlm.Tests.Shared;

namespace DrLlm.Routing.Tests;

/// <summary>
/// <c>drllm search</c>'s resume contract on the shipped model, as a user meets it: the process is killed (SIGKILL) in
/// the middle of an example, and <c>--resume</c> finishes the rest, resuming the interrupted example from its checkpoint;
/// the lines equal an uninterrupted run's apart from the times.
/// </summary>
public sealed class SearchCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("drllm-search-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string[] Args(string outFile, params string[] extra) =>
        ["search", "--model", RepoPaths.DemoModel, "--task", "mcq", "--split", "train", "--n", "8", "--simulations", "40",
         "--threads", "1", "--out", outFile, .. extra];

    /// <summary>
    /// The result lines without their costs: times differ from run to run, and a resumed example recomputes the paths
    /// its fresh sessions do not hold (its block runs are higher; its path, labels and counts are the same).
    /// </summary>
    private static List<string> Results(string file) => [.. File.ReadAllLines(file).Where(l => l.Length > 0).Select(l =>
    {
        var o = JsonNode.Parse(l)!.AsObject();
        foreach (var cost in new[] { "wall_seconds", "block_runs", "block_runs_saved" }) Assert.True(o.Remove(cost), cost);
        Assert.True(o.Remove("cpu_seconds"), "a result line reports its CPU seconds");
        return o.ToJsonString();
    })];

    [Fact]
    public void A_search_killed_mid_example_resumes_from_its_checkpoint_and_ends_as_an_uninterrupted_one()
    {
        string straight = Path.Combine(_dir, "straight.jsonl"), killed = Path.Combine(_dir, "killed.jsonl"), state = Path.Combine(_dir, "state");
        var (code, _, err) = DrllmProcess.Run(Args(straight));
        Assert.True(code == 0, err);

        // Kill it once an example is written and the next one has a checkpoint of its own.
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "drllm.dll"));
        foreach (var a in Args(killed, "--state", state, "--checkpoint-every", "2")) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!)
        {
            p.StandardOutput.ReadToEndAsync();
            p.StandardError.ReadToEndAsync();
            string checkpoint = Path.Combine(state, "current.json");
            var sw = Stopwatch.StartNew();
            bool Midway()
            {
                try
                {
                    var lines = File.Exists(killed) ? File.ReadAllLines(killed).Count(l => l.Length > 0) : 0;
                    return lines >= 1 && File.Exists(checkpoint) &&
                           !File.ReadAllLines(killed).Any(l => l.Contains((string)JsonNode.Parse(File.ReadAllText(checkpoint))!["example_id"]!));
                }
                catch (Exception e) when (e is IOException or System.Text.Json.JsonException) { return false; }
            }
            while (!Midway() && !p.HasExited && sw.Elapsed < TimeSpan.FromSeconds(120)) Thread.Sleep(5);
            Assert.False(p.HasExited, "the search ended before it could be interrupted");
            p.Kill();
            p.WaitForExit();
        }
        int before = Results(killed).Count;
        Assert.InRange(before, 1, 7);

        var interrupted = (string)JsonNode.Parse(File.ReadAllText(Path.Combine(state, "current.json")))!["example_id"]!;
        (code, _, err) = DrllmProcess.Run(Args(killed, "--state", state, "--checkpoint-every", "2", "--resume"));
        Assert.True(code == 0, err);
        Assert.Matches($@"{interrupted}: resuming from its checkpoint at simulation ([2-9]|\d\d)", err);
        Assert.Equal(Results(straight), Results(killed));
        Assert.False(File.Exists(Path.Combine(state, "current.json")), "a finished search leaves no checkpoint");

        // A result line torn by a kill mid-write: dropped with a notice, and that example searched again.
        var lines = File.ReadAllLines(killed);
        File.WriteAllText(killed, string.Join("\n", lines[..^1]) + "\n" + lines[^1][..(lines[^1].Length / 2)]);
        (code, _, err) = DrllmProcess.Run(Args(killed, "--resume"));
        Assert.True(code == 0, err);
        Assert.Contains("the last line was cut short by an interruption", err);
        Assert.Equal(Results(straight), Results(killed));

        // A complete last line that only lacks its newline is a result: kept, and nothing is searched again.
        File.WriteAllText(killed, File.ReadAllText(killed).TrimEnd('\n'));
        (code, _, err) = DrllmProcess.Run(Args(killed, "--resume"));
        Assert.True(code == 0, err);
        Assert.DoesNotContain("cut short", err);
        Assert.Equal(Results(straight), Results(killed));
    }
}
