using System.Diagnostics;
using System.Text;
using Npgsql;

namespace DrLlm.Tests.Shared;

/// <summary>A <c>drllm node</c> process (the built CLI, as users run it); its stderr is kept for diagnostics.</summary>
public sealed class NodeProcess : IDisposable
{
    private readonly Process _p;
    private readonly StringBuilder _log = new();
    public string Name { get; }

    public NodeProcess(string connectionString, string name, string models, int concurrency = 2)
    {
        Name = name;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "drllm.dll"), "node", "--db", connectionString, "--models", models,
                     "--concurrency", concurrency.ToString(), "--id", name, "--threads", "1" })
            psi.ArgumentList.Add(a);
        _p = Process.Start(psi)!;
        _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_log) _log.AppendLine(e.Data); };
        _p.BeginErrorReadLine();
        _p.BeginOutputReadLine();
    }

    public string Log { get { lock (_log) return _log.ToString(); } }
    public bool HasExited => _p.HasExited;
    public int Pid => _p.Id;

    public void KillHard() { _p.Kill(); _p.WaitForExit(); }

    /// <summary>Sends a signal by name (STOP, CONT, …) to the node process.</summary>
    public void Signal(string name)
    {
        using var k = Process.Start("kill", [$"-{name}", _p.Id.ToString()]);
        k.WaitForExit();
    }

    /// <summary>SIGTERM, as a service manager stops a node; waits for it to leave.</summary>
    public int Terminate(int timeoutMs = 30_000)
    {
        using (var k = Process.Start("kill", ["-TERM", _p.Id.ToString()])) k.WaitForExit();
        if (!_p.WaitForExit(timeoutMs)) throw new TimeoutException($"node {Name} did not leave within {timeoutMs} ms:\n{Log}");
        _p.WaitForExit();
        return _p.ExitCode;
    }

    public void Dispose()
    {
        if (!_p.HasExited) { try { _p.Kill(); _p.WaitForExit(); } catch (InvalidOperationException) { } }
        _p.Dispose();
    }
}

/// <summary>Small SQL helpers and waits for the cluster tests.</summary>
public static class Db
{
    public static T Scalar<T>(string cs, string sql)
    {
        using var conn = new NpgsqlConnection(cs);
        conn.Open();
        using var cmd = new NpgsqlCommand(sql, conn);
        var r = cmd.ExecuteScalar();
        return r is null or DBNull ? default! : (T)Convert.ChangeType(r, typeof(T));
    }

    public static int Exec(string cs, string sql)
    {
        using var conn = new NpgsqlConnection(cs);
        conn.Open();
        using var cmd = new NpgsqlCommand(sql, conn);
        return cmd.ExecuteNonQuery();
    }

    public static List<object?[]> Rows(string cs, string sql)
    {
        using var conn = new NpgsqlConnection(cs);
        conn.Open();
        using var cmd = new NpgsqlCommand(sql, conn);
        using var r = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (r.Read())
        {
            var row = new object?[r.FieldCount];
            for (int i = 0; i < r.FieldCount; i++) row[i] = r.IsDBNull(i) ? null : r.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>Polls <paramref name="condition"/> every 100 ms (database errors count as "not yet").</summary>
    public static void WaitFor(Func<bool> condition, TimeSpan timeout, Func<string> diagnostics)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            try { if (condition()) return; }
            catch (NpgsqlException) { }
            Thread.Sleep(100);
        }
        throw new TimeoutException($"condition not met within {timeout.TotalSeconds} s\n{diagnostics()}");
    }

    public static string SweepStatus(string cs, long id) => Scalar<string>(cs, $"select status from sweeps where id = {id}");

    /// <summary>Everything a sweep produced that must not depend on where it ran: per example the search outcome, the router
    /// metrics, and per evaluated example the routed path and both answers.</summary>
    public static string Fingerprint(string cs, long sweepId) => string.Join("\n",
        Scalar<string>(cs, $"""
            select string_agg(e.seed || '/' || x.item_id || ':' || coalesce(array_to_string(t.best_path, ','), '-') || ':' ||
                              coalesce(array_to_string(t.labels, ','), '-') || ':' || t.simulations || ':' || t.default_correct, ';' order by e.seed, x.item_id)
            from search_trees t join examples x on x.id = t.example_id join experiments e on e.id = t.experiment_id where e.sweep_id = {sweepId}
            """),
        Scalar<string>(cs, $"""
            select string_agg(e.seed || ':' || round(r.validation_accuracy::numeric, 6) || ':' || round(r.validation_macro_f1::numeric, 6) || ':' || md5(r.weights), ';' order by e.seed)
            from router_checkpoints r join experiments e on e.id = r.experiment_id where e.sweep_id = {sweepId}
            """),
        Scalar<string>(cs, $"""
            select string_agg(e.seed || '/' || v.task || '/' || x.item_id || ':' || array_to_string(r.routed_path, ',') || ':' || r.baseline_correct || ':' || r.routed_correct,
                              ';' order by e.seed, v.task, x.item_id)
            from evaluation_results r join evaluations v on v.id = r.evaluation_id join examples x on x.id = r.example_id
            join experiments e on e.id = v.experiment_id where e.sweep_id = {sweepId}
            """));

    public static string Diagnostics(string cs, long sweepId, params NodeProcess[] nodes)
    {
        var sb = new StringBuilder();
        try
        {
            foreach (var r in Rows(cs, $"select * from v_sweep_progress where sweep_id = {sweepId}")) sb.AppendLine(string.Join(" | ", r));
            foreach (var r in Rows(cs, $"select id, status, node_id, simulations, executions, error from search_trees where experiment_id in (select id from experiments where sweep_id = {sweepId}) order by id"))
                sb.AppendLine("tree " + string.Join(" | ", r));
            foreach (var r in Rows(cs, "select actor, actor_key, reason from failures")) sb.AppendLine("failure " + string.Join(" | ", r));
        }
        catch (NpgsqlException e) { sb.AppendLine($"(database: {e.Message})"); }
        foreach (var n in nodes) sb.AppendLine($"--- node {n.Name} ---\n{n.Log}");
        return sb.ToString();
    }
}

/// <summary>Sweep spec files for the tests.</summary>
public static class Specs
{
    public static string Write(string yaml)
    {
        var f = Path.Combine(Path.GetTempPath(), $"drllm-spec-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(f, yaml);
        return f;
    }

    /// <summary>A stand-in sweep: arith searched and trained on, arith test and ood-count evaluated. Early stops are off
    /// so every search runs its full budget (the failover tests need searches in flight).</summary>
    public static string Standin(string name, string models, int n, int sims, int every, string seeds = "[0]", int eval = 4) => $"""
        name: {name}
        models: [{models}]
        tasks:
          - name: arith
            search: {"{"}split: train, n: {n}{"}"}
            eval: {"{"}split: test, n: {eval}{"}"}
          - name: ood-count
            eval: {"{"}split: test, n: {eval}{"}"}
        search:
          simulations: {sims}
          checkpoint_every: {every}
          early_stop_on_fix: false
          early_stop_saved_steps: 0
        router:
          epochs: 3
          hidden: 16
        seeds: {seeds}
        """;

    public static long Launch(string cs, string yaml)
    {
        var file = Write(yaml);
        var (code, output, err) = DrllmProcess.Run("sweep", "launch", file, "--db", cs);
        Assert.True(code == 0, $"sweep launch failed ({code}): {err}");
        return long.Parse(output.Trim());
    }
}
