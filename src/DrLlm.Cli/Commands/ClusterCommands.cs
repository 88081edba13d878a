using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DrLlm.Cluster;
using DrLlm.Cluster.Data;
using DrLlm.Cluster.Hosts;
using DrLlm.Cluster.Silo;
using DrLlm.Cluster.Spec;

namespace DrLlm.Cli.Commands;

/// <summary>
/// The cluster: <c>drllm node</c> starts a silo and joins it; <c>drllm sweep launch|status|cancel</c> and <c>drllm nodes</c>
/// write intents to and read state from its PostgreSQL database (every silo picks intents up within a second), so they
/// answer even when no silo is up.
/// </summary>
public static class ClusterCommands
{
    private static readonly Option<string?> Db = new("--db")
    {
        Description = "cluster database connection string, e.g. Host=127.0.0.1;Port=55432;Username=drllm;Database=drllm " +
                      "(deploy/postgres.sh url prints it); default: $DRLLM_DB",
    };

    private static string ConnectionString(ParseResult r) =>
        r.GetValue(Db) ?? Environment.GetEnvironmentVariable("DRLLM_DB")
        ?? throw new ArgumentException("--db: no connection string (pass --db CONNSTR or set DRLLM_DB; deploy/postgres.sh start prints one)");

    public static void Add(RootCommand root)
    {
        root.Subcommands.Add(Node());
        root.Subcommands.Add(Nodes());
        var sweep = new Command("sweep", "launch, follow and cancel sweeps (base models × tasks × settings × seeds)");
        sweep.Subcommands.Add(Launch());
        sweep.Subcommands.Add(Status());
        sweep.Subcommands.Add(Cancel());
        sweep.Subcommands.Add(Report());
        root.Subcommands.Add(sweep);
    }

    private static Command Node()
    {
        var models = new Option<string[]>("--models")
        {
            Description = "models to host: NAME=PATH[,NAME=PATH…] (HF directory or GGUF file), or NAME=standin:latency=20ms,blocks=8",
            Required = true, AllowMultipleArgumentsPerToken = true,
        };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 2, Description = "work items per model this node runs at once" };
        var id = new Option<string?>("--id") { Description = "node id, also the Orleans silo name (default: host-pid-random)" };
        var cluster = new Option<string>("--cluster") { DefaultValueFactory = _ => "drllm", Description = "Orleans cluster id: nodes with the same database and id form one cluster" };
        var advertise = new Option<string>("--advertise")
        {
            DefaultValueFactory = _ => "127.0.0.1",
            Description = "address this silo listens on and publishes to the others (default loopback: one machine; across machines give an address the other silos reach)",
        };
        var siloPort = new Option<int>("--silo-port") { Description = "silo-to-silo TCP port (default: a free one)" };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "gateway TCP port for Orleans clients (default: a free one)" };
        var cmd = new Command("node", "start a silo and join the cluster; Ctrl-C or SIGTERM checkpoints running work and leaves")
            { Db, models, concurrency, id, cluster, advertise, siloPort, gatewayPort, EngineCommands.Threads };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var address = r.GetValue(advertise)!;
            if (!System.Net.IPAddress.TryParse(address, out var ip))
                throw new ArgumentException($"--advertise: '{address}' is not an IP address (e.g. 127.0.0.1 or 10.0.0.5)");
            var options = new NodeOptions
            {
                ConnectionString = ConnectionString(r), Models = ModelSources.Parse(r.GetValue(models)!), Concurrency = r.GetValue(concurrency),
                Threads = r.GetValue(EngineCommands.Threads), NodeId = r.GetValue(id) ?? NodeOptions.DefaultNodeId(), ClusterId = r.GetValue(cluster)!,
                Advertise = ip, SiloPort = r.GetValue(siloPort), GatewayPort = r.GetValue(gatewayPort),
            };
            using var stop = new CancellationTokenSource();
            void Leave(PosixSignalContext c) { c.Cancel = true; stop.Cancel(); }
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Leave);
            using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, Leave);
            NodeHost.RunAsync(options, stop.Token).GetAwaiter().GetResult();
            return 0;
        }));
        return cmd;
    }

    private static Command Nodes()
    {
        var cmd = new Command("nodes", "list the cluster's nodes, their models and heartbeats") { Db };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var nodes = new ClusterViews(ConnectionString(r)).NodesAsync().GetAwaiter().GetResult();
            if (nodes.Count == 0) { Console.WriteLine("no nodes have joined (start one with drllm node --db … --models NAME=PATH)"); return 0; }
            Console.WriteLine($"{"node",-36} {"status",-8} {"beat",6} {"conc",4}  models");
            foreach (var n in nodes)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{n.Id,-36} {n.Status,-8} {n.HeartbeatAge,5:F1}s {n.Concurrency,4}  {n.Models}"));
            return 0;
        }));
        return cmd;
    }

    private static Command Launch()
    {
        var spec = new Argument<string>("SPEC") { Description = "sweep spec, JSON or YAML (README: Sweeps)" };
        var wait = new Option<bool>("--wait") { Description = "wait until the sweep ends, then print its status (exit 1 unless it is done)" };
        var cmd = new Command("launch", "validate a sweep spec and queue it; prints the sweep id") { spec, Db, wait };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var file = r.GetValue(spec)!;
            var parsed = SweepSpec.Load(file);
            var cs = ConnectionString(r);
            long id = ClusterIntents.LaunchAsync(cs, parsed.Name, parsed.ToJson(), File.ReadAllText(file)).GetAwaiter().GetResult();
            int n = parsed.Experiments().Count();
            Console.WriteLine(id);
            Console.Error.WriteLine($"sweep {id} ({parsed.Name}) queued: {n} experiment(s) = {parsed.Models.Count} model(s) × " +
                $"{parsed.Tasks.Count(t => t.InDomain)} in-domain task(s) × {parsed.Grid.Count} setting(s) × {parsed.Seeds.Count} seed(s)");
            if (!r.GetValue(wait)) return 0;
            var views = new ClusterViews(cs);
            SweepProgress p;
            while (!(p = Progress(views, id)).IsFinished) Thread.Sleep(1000);
            Console.Error.Write(Render(cs, id));
            return p.Status == SweepStatus.Done.Db() ? 0 : 1;
        }));
        return cmd;
    }

    private static Command Status()
    {
        var id = new Argument<long>("ID") { Description = "sweep id (drllm sweep launch prints it)" };
        var cmd = new Command("status", "a sweep's progress per stage, its experiments and failures") { id, Db };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            Console.Write(Render(ConnectionString(r), r.GetValue(id)));
            return 0;
        }));
        return cmd;
    }

    private static Command Report()
    {
        var id = new Argument<long>("ID") { Description = "sweep id" };
        var outDir = new Option<string?>("--out") { Description = "also write DIR/report.md with SVG charts beside it" };
        var cmd = new Command("report", "a sweep's results shaped like the paper's Table 3 (from the views), as Markdown") { id, Db, outDir };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var cs = ConnectionString(r);
            long sweepId = r.GetValue(id);
            _ = Progress(new ClusterViews(cs), sweepId); // names a sweep that is not there
            if (r.GetValue(outDir) is { } dir)
            {
                DrLlm.Dashboard.SweepReport.WriteAsync(cs, sweepId, dir).GetAwaiter().GetResult();
                Console.Error.WriteLine($"wrote {Path.Combine(dir, "report.md")} and its charts");
            }
            Console.Write(DrLlm.Dashboard.SweepReport.TableAsync(new ClusterViews(cs), sweepId).GetAwaiter().GetResult());
            return 0;
        }));
        return cmd;
    }

    private static Command Cancel()
    {
        var id = new Argument<long>("ID") { Description = "sweep id" };
        var cmd = new Command("cancel", "cancel a sweep: unfinished work stops at its next checkpoint; finished results stay") { id, Db };
        cmd.SetAction(r => CliErrors.Run(() =>
        {
            var was = ClusterIntents.CancelAsync(ConnectionString(r), r.GetValue(id)).GetAwaiter().GetResult();
            Console.WriteLine(was is "queued" or "running" ? $"sweep {r.GetValue(id)}: cancelling (was {was})" : $"sweep {r.GetValue(id)} is already {was}; nothing to cancel");
            return 0;
        }));
        return cmd;
    }

    private static SweepProgress Progress(ClusterViews views, long id) =>
        views.SweepAsync(id).GetAwaiter().GetResult() ?? throw new ArgumentException($"no sweep {id}");

    private static string Bar(int done, int total, int width = 30)
    {
        int filled = total == 0 ? 0 : (int)Math.Round((double)done / total * width);
        return $"[{new string('#', filled)}{new string('.', width - filled)}] {done,4}/{total,-4}";
    }

    private static string Render(string cs, long id)
    {
        var views = new ClusterViews(cs);
        var p = Progress(views, id);
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine($"sweep {p.Id} ({p.Name}): {p.Status}; {p.Experiments} experiment(s), {p.ExperimentsFailed} failed, {p.Failures} failure record(s)");
        sb.AppendLine($"  search    {Bar(p.TreesFinished, p.Trees)} trees");
        sb.AppendLine($"  train     {Bar(p.TrainingsFinished, p.Trainings)} router sets");
        sb.AppendLine($"  evaluate  {Bar(p.EvaluationsFinished, p.Evaluations)} evaluations");
        sb.AppendLine($"  done      {Bar(p.ExperimentsDone, p.Experiments)} experiments");
        var exps = views.ExperimentsAsync(id).GetAwaiter().GetResult();
        if (exps.Count > 0)
        {
            sb.AppendLine($"  {"id",5} {"model",-12} {"task",-10} {"settings",-34} {"seed",4} {"stage",-8} {"status",-9} {"base",6} {"routed",6} {"Δ",6} {"saved",6}");
            static string F(double? x, string fmt) => x is { } v ? v.ToString(fmt, CultureInfo.InvariantCulture) : "-";
            foreach (var e in exps)
            {
                sb.AppendLine(string.Create(inv, $"  {e.Id,5} {e.Model,-12} {e.Task,-10} {e.SettingsKey,-34} {e.Seed,4} {e.Stage,-8} {e.Status,-9} " +
                    $"{F(e.BaselineAccuracy, "F3"),6} {F(e.RoutedAccuracy, "F3"),6} {F(e.Delta, "+0.000;-0.000;0.000"),6} {F(e.LayersSaved, "F2"),6}"));
                if (e.Error is not null) sb.AppendLine($"        error: {e.Error}");
                if (e.Waiting is not null) sb.AppendLine($"        waiting: {e.Waiting}");
            }
        }
        foreach (var f in views.FailuresAsync(id).GetAwaiter().GetResult())
            sb.AppendLine($"  failure: {f.Actor} {f.Key}{(f.Node is null ? "" : $" on {f.Node}")}: {f.Reason}");
        return sb.ToString();
    }
}
