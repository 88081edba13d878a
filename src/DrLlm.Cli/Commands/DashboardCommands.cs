using System.CommandLine;
using System.Runtime.InteropServices;
using DrLlm.Dashboard;
using Microsoft.AspNetCore.Builder;

namespace DrLlm.Cli.Commands;

/// <summary><c>drllm dashboard</c>: the browser dashboard over the cluster database (src/DrLlm.Dashboard).</summary>
public static class DashboardCommands
{
    public static void Add(RootCommand root)
    {
        var db = new Option<string?>("--db")
        {
            Description = "cluster database connection string (deploy/postgres.sh url prints it); default: $DRLLM_DB",
        };
        var urls = new Option<string>("--urls")
        {
            DefaultValueFactory = _ => DashboardOptions.DefaultUrls,
            Description = "where to listen (';'-separated); anything but a loopback address requires --token",
        };
        var token = new Option<string?>("--token")
        {
            Description = "access token: pages need ?token=T once (then a cookie) or the X-Drllm-Token header; default: $DRLLM_DASHBOARD_TOKEN",
        };
        var cmd = new Command("dashboard", "serve the browser dashboard: sweeps, results, charts, paths, nodes; launch and cancel sweeps")
            { db, urls, token };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var cs = r.GetValue(db) ?? Environment.GetEnvironmentVariable("DRLLM_DB")
                ?? throw new ArgumentException("--db: no connection string (pass --db CONNSTR or set DRLLM_DB; deploy/postgres.sh start prints one)");
            var options = new DashboardOptions(cs, r.GetValue(urls)!, r.GetValue(token) ?? Environment.GetEnvironmentVariable("DRLLM_DASHBOARD_TOKEN"));
            var app = DashboardHost.CreateAsync(options).GetAwaiter().GetResult();
            using var stop = new CancellationTokenSource();
            void Leave(PosixSignalContext c) { c.Cancel = true; stop.Cancel(); }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Leave);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, Leave);
            try { app.StartAsync(stop.Token).GetAwaiter().GetResult(); }
            catch (IOException e) { throw new IOException($"--urls {options.Urls}: cannot listen there ({e.Message})", e); }
            Console.Error.WriteLine($"dashboard on {options.Urls}{(options.Token is null ? "" : " (token required)")}; Ctrl-C stops it");
            try { Task.Delay(Timeout.Infinite, stop.Token).GetAwaiter().GetResult(); } catch (OperationCanceledException) { }
            app.StopAsync().GetAwaiter().GetResult();
            return 0;
        }));
        root.Subcommands.Add(cmd);
    }
}
