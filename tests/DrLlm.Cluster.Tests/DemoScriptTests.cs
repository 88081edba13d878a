using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using DrLlm.Tests.Shared;

namespace DrLlm.Cluster.Tests;

/// <summary>
/// deploy/demo.sh, the README's first command, at a reduced size: killed (the whole process group, SIGKILL) in the
/// middle of its search, run again, it resumes the same sweep — no finished tree searched again — and finishes, and the
/// table it prints is the views' rows.
/// </summary>
public sealed class DemoScriptTests
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed class Run : IDisposable
    {
        private readonly Process _p;
        private readonly StringBuilder _out = new();
        public Run(string root, string args)
        {
            // setsid: the script, its silo, its dashboard and its PostgreSQL in one process group the test can kill at once
            var psi = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
            foreach (var a in new[] { "bash", Path.Combine(RepoPaths.Root, "deploy", "demo.sh") }.Concat(args.Split(' '))) psi.ArgumentList.Add(a);
            psi.Environment["CI"] = "true";
            _p = Process.Start(psi)!;
            _p.StandardInput.Close();
            _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
            _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
            _p.BeginOutputReadLine();
            _p.BeginErrorReadLine();
        }
        public string Output { get { lock (_out) return _out.ToString(); } }
        public int Wait(TimeSpan t)
        {
            if (!_p.WaitForExit(t)) { Kill(); throw new TimeoutException($"demo.sh did not finish in {t}:\n{Output}"); }
            _p.WaitForExit();
            return _p.ExitCode;
        }
        public bool Exited => _p.HasExited;
        public void Kill()
        {
            using var k = Process.Start("kill", ["-KILL", "--", $"-{_p.Id}"]);
            k.WaitForExit();
            _p.WaitForExit(10_000);
        }
        public void Dispose() { if (!_p.HasExited) Kill(); _p.Dispose(); }
    }

    private static string _root = "";

    private static void Postgres(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "deploy", "postgres.sh"), command, $"{_root}/pg"])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        p.WaitForExit(60_000);
    }

    [Fact]
    public void The_demo_resumes_after_a_kill_mid_search_and_prints_the_views_rows()
    {
        var root = _root = Path.Combine(Path.GetTempPath(), $"demo-{Guid.NewGuid():N}");
        string args = $"--size small --no-wait --db-dir {root}/pg --out {root}/out --dashboard-port 0";
        try
        {
            string? cs = null;
            long[] doneBefore;
            Dictionary<long, int> executionsBefore;
            using (var first = new Run(root, args))
            {
                // wait for the search to be under way, then kill everything the script started
                var deadline = DateTime.UtcNow.AddMinutes(4);
                while (true)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the search did not start:\n" + first.Output);
                    Assert.False(first.Exited, "demo.sh ended before it was killed:\n" + first.Output);
                    if (cs is null && File.Exists($"{root}/pg/drllm.port"))
                        cs = $"Host=127.0.0.1;Port={File.ReadAllText($"{root}/pg/drllm.port").Trim()};Username=drllm;Database=drllm;Timeout=3;Pooling=false";
                    long done = 0;
                    if (cs is not null)
                        try { done = Db.Scalar<long>(cs, "select count(*) from search_trees where status = 'done'"); }
                        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException) { }
                    if (done >= 4) break;
                    Thread.Sleep(300);
                }
                first.Kill();
                Assert.Contains("launched sweep", first.Output);
            }
            // what was done when it died (read once PostgreSQL is back, by the second run)
            using var second = new Run(root, args);
            Db.WaitFor(() => { try { Db.Scalar<long>(cs!, "select 1"); return true; } catch (Exception) { return false; } },
                TimeSpan.FromMinutes(2), () => second.Output);
            var rows = Db.Rows(cs!, "select id, executions from search_trees where status = 'done'");
            doneBefore = [.. rows.Select(r => Convert.ToInt64(r[0], Inv))];
            executionsBefore = rows.ToDictionary(r => Convert.ToInt64(r[0], Inv), r => Convert.ToInt32(r[1], Inv));
            long total = Db.Scalar<long>(cs!, "select count(*) from search_trees");
            Assert.True(doneBefore.Length < total, $"killed mid-search: {doneBefore.Length} of {total} trees done");

            int code = second.Wait(TimeSpan.FromMinutes(8));
            var output = second.Output;
            Assert.True(code == 0, output);
            // the script stopped everything it started, PostgreSQL too (data kept): start it again to look
            Assert.Contains("stopping the silo", output);
            Postgres("start");
            Assert.Matches(new Regex(@"resuming sweep 1 \(demo-small"), output);
            Assert.Equal(1L, Db.Scalar<long>(cs!, "select count(*) from sweeps"));
            Assert.Equal("done", Db.SweepStatus(cs!, 1));
            // every searched example has one tree, done; the trees done before the kill were not searched again
            Assert.Equal(Db.Scalar<long>(cs!, "select count(*) from examples where role = 'search'"), Db.Scalar<long>(cs!, "select count(*) from search_trees where status = 'done'"));
            Assert.Equal(0L, Db.Scalar<long>(cs!, "select count(*) from (select experiment_id, example_id from search_trees group by 1, 2 having count(*) > 1) d"));
            foreach (var id in doneBefore)
                Assert.Equal(executionsBefore[id], Db.Scalar<int>(cs!, $"select executions from search_trees where id = {id}"));

            // The printed table is v_evaluations: one line per evaluation, its accuracies as the view has them.
            var evals = Db.Rows(cs!, "select experiment_id, task, domain, baseline_accuracy, routed_accuracy, layers_saved from v_evaluations where sweep_id = 1");
            Assert.Equal(6, evals.Count); // 2 experiments × (own test split + 2 out-of-domain families)
            var lines = output.Split('\n').Where(l => Regex.IsMatch(l, @"^\| \d+ \| ")).ToList();
            Assert.Equal(evals.Count, lines.Count);
            foreach (var e in evals)
            {
                string P(object? x) => x is null ? "–" : (100 * Convert.ToDouble(x, Inv)).ToString("0.0", Inv);
                var cells = $"| {e[0]} | drllm-demo |";
                var line = lines.Single(l => l.StartsWith(cells, StringComparison.Ordinal) && l.Contains($"| {e[1]} | {e[2]} |"));
                Assert.Contains($"| {P(e[3])} → {P(e[4])} |", line);
                Assert.Contains($"| {(e[5] is null ? "–" : Convert.ToDouble(e[5], Inv).ToString("0.00", Inv))} |", line);
            }
            Assert.True(File.Exists($"{root}/out/report/report.md"));
            Assert.True(File.Exists($"{root}/out/report/accuracy-vs-layers.svg"));
            Assert.Contains("select * from v_experiments where sweep_id = 1;", output);
        }
        finally
        {
            Postgres("stop");
            try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
