using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace DrLlm.Dashboard.Tests;

/// <summary>The dashboard in Debian's Chromium: launching (and refusing) sweeps through the form, a real sweep on a
/// stand-in node process showing up live and then as tables, charts and paths, cancelling, nodes, and the token.</summary>
[Collection("dashboard")]
public sealed class BrowserTests(DashboardFixture fx)
{
    private const string StandinSpec = """
        name: browser
        models: [sa]
        tasks:
          - name: arith
            search: {split: train, n: 4}
            eval: {split: test, n: 4}
          - name: ood-count
            eval: {split: test, n: 4}
        search: {simulations: 12, checkpoint_every: 4}
        router: {epochs: 3, hidden: 16}
        seeds: [0, 1]
        """;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static async Task<IPage> NewPage(IBrowser browser)
    {
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000);
        return page;
    }

    /// <summary>The launch page's YAML tab: paste, launch (a silo checks the spec with the CLI's parser).</summary>
    private static async Task LaunchThroughForm(IPage page, RunningDashboard d, string spec)
    {
        if (!page.Url.EndsWith("/launch", StringComparison.Ordinal))
        {
            await page.GotoAsync(d.Url("/launch"));
            await page.GetByRole(AriaRole.Tab, new() { Name = "YAML" }).ClickAsync();
        }
        await page.FillAsync("#spec", spec);
        await page.ClickAsync("#launch");
    }

    /// <summary>With DRLLM_SCREENSHOTS=DIR, a full-page screenshot of each page the test visits (docs/screenshots holds
    /// the README's).</summary>
    private static async Task Shot(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("DRLLM_SCREENSHOTS") is not { Length: > 0 } dir) return;
        Directory.CreateDirectory(dir);
        await page.WaitForTimeoutAsync(500);
        await page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png"), FullPage = true });
    }

    /// <summary>Marks the page's window: the mark survives only as long as the page is not reloaded.</summary>
    private static Task Mark(IPage page) => page.EvaluateAsync("() => { window.__notReloaded = true; }");
    private static async Task<bool> NotReloaded(IPage page) => await page.EvaluateAsync<bool>("() => window.__notReloaded === true");

    [Fact]
    public async Task A_spec_launched_in_the_browser_runs_on_a_node_and_its_progress_results_charts_and_paths_show()
    {
        await using var d = await fx.StartDashboardAsync();
        using var node = new NodeProcess(d.ConnectionString, "dash-node", "sa=standin:latency=2ms,blocks=8", concurrency: 2);
        var page = await NewPage(fx.Browser);

        // Two bad specs: each error is shown in the page, the text stays in the box, and nothing is created. (The
        // first is tried until the dashboard's client has found the silo that checks specs.)
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            await LaunchThroughForm(page, d, "name: broken\nmodels: [sa\n");
            await page.Locator("#spec-errors").WaitForAsync();
            var said = await page.Locator("#spec-errors").TextContentAsync() ?? "";
            if (said.Contains("not valid YAML")) break;
            Assert.True(DateTime.UtcNow < deadline && said.Contains("cannot check the spec"), said);
            await Task.Delay(1000);
        }
        await LaunchThroughForm(page, d, StandinSpec.Replace("split: test, n: 4}\n  - name: ood", "split: tset, n: 4}\n  - name: ood"));
        await Expect(page.Locator("#spec-errors")).ToContainTextAsync("spec: tasks[0].eval.split: must be train, validation or test, got 'tset'");
        Assert.Contains("tset", await page.InputValueAsync("#spec"));
        // Specs that once killed the dashboard process or gave a blank 500 page: an error beside the form, the text kept,
        // the process alive (the next check answers), nothing created.
        var bomb = new List<string> { "name: x", "l0: &l0 [a, a, a, a, a, a, a, a, a, a]" };
        for (int i = 1; i <= 9; i++) bomb.Add($"l{i}: &l{i} [{string.Join(", ", Enumerable.Repeat($"*l{i - 1}", 10))}]");
        foreach (var (spec, said) in new[]
        {
            ("name: x\nmodels: &m [a, *m]\n", "recursive alias"),
            (string.Join("\n", bomb), "expands to more than"),
            ("name: x\nmodels: [a]\nname: y\n", "duplicate key 'name'"),
            ("name: x\nmodels: " + new string('[', 20_000) + new string(']', 20_000) + "\n", "nest more than 64 deep"),
            (StandinSpec.Replace("search: {simulations: 12, checkpoint_every: 4}",
                "search: {simulations: [" + string.Join(", ", Enumerable.Range(1, 200)) + "], exploration: [" + string.Join(", ", Enumerable.Range(1, 100)) + "]}"),
                "more than the limit of 10,000"),
        })
        {
            await LaunchThroughForm(page, d, spec);
            await Expect(page.Locator("#spec-errors")).ToContainTextAsync(said);
            Assert.Equal(spec, await page.InputValueAsync("#spec"));
        }
        Assert.Equal(0L, Db.Scalar<long>(d.ConnectionString, "select count(*) from sweeps"));
        Assert.Equal(0L, Db.Scalar<long>(d.ConnectionString, "select count(*) from sweeps"));

        // The form tab shows the spec as imported, with the count of experiments the cluster's parser computed.
        await page.FillAsync("#spec", StandinSpec);
        await page.ClickAsync("#import");
        await Expect(page.Locator("#experiment-count")).ToHaveTextAsync("2");
        await Expect(page.Locator("#f-seeds")).ToHaveValueAsync("0, 1");
        await Shot(page, "launch");
        Assert.Equal(0L, Db.Scalar<long>(d.ConnectionString, "select count(*) from sweeps"));

        // A good one: queued, then the page follows it live (pushed over the circuit) until it is done.
        await page.ClickAsync("#launch");
        // Blazor navigates within the page (no load event): the address is polled
        try { await Expect(page).ToHaveURLAsync(new Regex(@"/sweeps/\d+\?launched=1$"), new() { Timeout = 60_000 }); }
        catch (PlaywrightException e)
        {
            var said = await page.Locator("#spec-errors").CountAsync() > 0 ? await page.Locator("#spec-errors").TextContentAsync() : "no errors shown";
            throw new InvalidOperationException($"the launch did not open the sweep ({said}); {e.Message}", e);
        }
        await Mark(page);
        long id = Db.Scalar<long>(d.ConnectionString, "select max(id) from sweeps");
        Assert.EndsWith($"/sweeps/{id}?launched=1", page.Url);
        await Expect(page.Locator("#launched")).ToBeVisibleAsync();
        var first = await page.Locator("#sweep-status").TextContentAsync();
        Assert.True(first is "queued" or "running", $"freshly launched sweep shows '{first}'");
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("done", new() { Timeout = 120_000 });
        Assert.True(Db.SweepStatus(d.ConnectionString, id) == "done", Db.Diagnostics(d.ConnectionString, id, node));
        await Expect(page.Locator("[data-stage=experiments] .count")).ToHaveTextAsync("2/2");
        Assert.True(await NotReloaded(page), "the sweep page followed the sweep without a reload");
        await Shot(page, "sweep");

        // The JSON endpoint the script polls.
        var api = await page.APIRequest.GetAsync(d.Url($"/api/sweeps/{id}/progress"));
        Assert.Equal(200, api.Status);
        var json = await api.JsonAsync();
        Assert.Equal("done", json!.Value.GetProperty("status").GetString());
        Assert.Equal(8, json.Value.GetProperty("stages").GetProperty("search").GetProperty("total").GetInt32());

        // Experiments table = v_experiments, formatted.
        var rows = Db.Rows(d.ConnectionString, $"select experiment_id, baseline_accuracy, routed_accuracy, layers_saved from v_experiments where sweep_id = {id} order by experiment_id");
        Assert.Equal(2, rows.Count);
        await page.ReloadAsync();
        await Expect(page.Locator("#experiments tbody tr")).ToHaveCountAsync(2);
        foreach (var r in rows)
        {
            var tr = page.Locator($"#experiments tr[data-experiment='{r[0]}']");
            await Expect(tr).ToContainTextAsync("sa");
            await Expect(tr).ToContainTextAsync("arith");
            await Expect(tr.Locator("td").Nth(8)).ToHaveTextAsync(Convert.ToDouble(r[1], Inv).ToString("0.0%", Inv));
            await Expect(tr.Locator("td").Nth(9)).ToHaveTextAsync(Convert.ToDouble(r[2], Inv).ToString("0.0%", Inv));
            await Expect(tr.Locator("td").Nth(11)).ToHaveTextAsync(Convert.ToDouble(r[3], Inv).ToString("0.00", Inv));
        }
        await Expect(page.Locator("#search-progress tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#label-statistics tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#router-metrics tbody tr")).ToHaveCountAsync(2);
        await Expect(page.Locator("#evaluations tbody tr")).ToHaveCountAsync(4); // 2 experiments × (arith test + ood-count)

        // Charts: one baseline and one routed point per experiment, a loss curve per training run, bars per experiment.
        await Expect(page.Locator("svg.acc-layers circle.baseline")).ToHaveCountAsync(2);
        await Expect(page.Locator("svg.acc-layers circle.routed")).ToHaveCountAsync(2);
        await Expect(page.Locator("svg.loss-curves polyline.train-loss")).ToHaveCountAsync(2);
        await Expect(page.Locator("svg.search-progress rect.seg-done")).ToHaveCountAsync(2);
        Assert.True(await page.Locator("svg.action-frequencies").CountAsync() >= 1);
        var box = await page.Locator("svg.acc-layers").BoundingBoxAsync();
        Assert.True(box is { Width: > 100, Height: > 100 }, "the chart is laid out");

        // Accuracy against a setting (here the seed, the only thing that differs): a point pair per experiment.
        await Expect(page.Locator("svg.acc-setting circle.routed")).ToHaveCountAsync(2);

        // Experiment → its trees → the path viewer of one example, against the row.
        await page.ClickAsync($"#experiments tr[data-experiment='{rows[0][0]}'] a");
        await Expect(page.Locator("#trees tbody tr")).ToHaveCountAsync(4);
        await Expect(page.Locator("#training-epochs tbody tr")).ToHaveCountAsync(3);
        // heat maps of the search labels and of the routers' decisions: skip/execute/repeat × 8 blocks each
        await Expect(page.Locator("table.label-heat")).ToHaveCountAsync(2);
        await Shot(page, "experiment");
        await Expect(page.Locator("table.label-heat").First.Locator("td.cell")).ToHaveCountAsync(3 * 8);
        await Expect(page.Locator("table.label-heat").First.Locator("caption")).ToContainTextAsync("search labels");
        // per-example evaluation tables in and out of domain, and their CSV = the evaluation_results rows
        await Expect(page.Locator("table.results[data-domain='in-domain'] tbody tr")).ToHaveCountAsync(4);
        await Expect(page.Locator("table.results[data-domain='out-of-domain'] tbody tr")).ToHaveCountAsync(4);
        var csv = await page.APIRequest.GetAsync(d.Url($"/api/experiments/{rows[0][0]}/results.csv"));
        Assert.Equal(200, csv.Status);
        var csvLines = (await csv.TextAsync()).TrimEnd('\n').Split('\n');
        Assert.StartsWith("evaluation_id,task,split,domain,item_id,gold,baseline_answer,baseline_correct", csvLines[0]);
        Assert.Equal(Db.Scalar<long>(d.ConnectionString, $"select count(*) from evaluation_results r join evaluations v on v.id = r.evaluation_id where v.experiment_id = {rows[0][0]}"),
            csvLines.Length - 1);
        // an evaluated example: its answers under the default and the routed path, the routed path as blocks
        await page.Locator("table.results tbody tr a").First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/evaluations/\d+/examples/\d+$"));
        var parts = page.Url.Split('/');
        var er = Db.Rows(d.ConnectionString, $"select baseline_answer, routed_answer, cardinality(routed_path) from evaluation_results where evaluation_id = {parts[^3]} and example_id = {parts[^1]}")[0];
        await Expect(page.Locator("#baseline-answer")).ToHaveTextAsync((string?)er[0] ?? "–");
        await Expect(page.Locator("#routed-answer")).ToHaveTextAsync((string?)er[1] ?? "–");
        await Expect(page.Locator(".routed-path .blk")).ToHaveCountAsync(8);
        await Shot(page, "example");
        await Expect(page.Locator(".routed-path small")).ToContainTextAsync($"({Convert.ToInt32(er[2], Inv)} layers)");
        await page.GotoAsync(d.Url($"/experiments/{rows[0][0]}"));
        await Expect(page.Locator("#trees tbody tr")).ToHaveCountAsync(4);
        await page.Locator("#trees tbody tr a").First.ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex(@"/trees/\d+$"));
        long tree = long.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..], Inv);
        var t = Db.Rows(d.ConnectionString, $"select default_correct, cardinality(best_path), labels from search_trees where id = {tree}")[0];
        await Expect(page.Locator("#default-correct")).ToHaveTextAsync((bool)t[0]! ? "yes" : "no");
        await Expect(page.Locator(".default-path .blk-execute")).ToHaveCountAsync(8);
        await Expect(page.Locator(".searched-path .blk")).ToHaveCountAsync(8);
        await Shot(page, "tree");
        await Expect(page.Locator("#best-path .blk")).ToHaveCountAsync(Convert.ToInt32(t[1], Inv));
        var labels = (int[])t[2]!;
        await Expect(page.Locator("#block-labels .blk")).ToHaveCountAsync(labels.Length);
        string[] names = ["skip", "execute", "repeat"];
        for (int b = 0; b < labels.Length; b++)
            await Expect(page.Locator("#block-labels .blk").Nth(b)).ToHaveTextAsync($"{b}: {names[labels[b]]}");

        // The search tree itself, from the stored MCTS state: the root is the default path, then the visited moves.
        await Expect(page.Locator("#search-tree tbody tr").First).ToContainTextAsync("default path");
        Assert.True(await page.Locator("#search-tree tbody tr").CountAsync() > 1, "the tree shows the root's visited children");
        // and draws it: one circle per listed node, one edge per node but the root
        int listed = await page.Locator("#search-tree tbody tr").CountAsync();
        await Expect(page.Locator("svg.search-tree-graph circle.tree-node")).ToHaveCountAsync(listed);
        await Expect(page.Locator("svg.search-tree-graph line")).ToHaveCountAsync(listed - 1);

        // Lists: the sweep, and the node with its model.
        // Compare two experiments: settings and metrics side by side, loss and macro-F1 curves overlaid.
        await page.GotoAsync(d.Url($"/compare?ids={rows[0][0]},{rows[1][0]}"));
        await Expect(page.Locator("#compare-table tr.differs")).Not.ToHaveCountAsync(0); // the seeds differ
        await Expect(page.Locator("svg.loss-curves polyline.train-loss")).ToHaveCountAsync(2);
        await Expect(page.Locator("svg.macro-f1-curves polyline.metric")).ToHaveCountAsync(2);
        await Shot(page, "compare");

        // Lists: the sweep, and the silo with its model and the ModelHost grain's live figures.
        await page.GotoAsync(d.Url("/"));
        await Expect(page.Locator($"#sweeps tr.sweep-{id} .status")).ToHaveTextAsync("done");
        await Shot(page, "sweeps");
        await page.ClickAsync("#nav-silos");
        var nodeRow = page.Locator("#nodes tr[data-node='dash-node']");
        await Expect(nodeRow.Locator(".status")).ToHaveTextAsync("up");
        await Expect(nodeRow).ToContainTextAsync("sa:ready");
        await Expect(nodeRow.Locator(".activations")).ToHaveTextAsync(new Regex(@"^[1-9]\d*$")); // Orleans' count, via the management grain
        await Expect(page.Locator("#model-hosts tr[data-host='sa@dash-node'] .busy")).ToHaveTextAsync(new Regex(@"^\d+/2$"));
        await Shot(page, "silos");
    }

    [Fact]
    public async Task A_sweep_is_cancelled_from_its_page_and_names_are_shown_as_text()
    {
        await using var d = await fx.StartDashboardAsync(); // no silo: the form cannot check a spec, and a sweep stays queued
        var page = await NewPage(fx.Browser);
        await LaunchThroughForm(page, d, StandinSpec);
        await Expect(page.Locator("#spec-errors")).ToContainTextAsync("no silo is reachable");
        Assert.Equal(0L, Db.Scalar<long>(d.ConnectionString, "select count(*) from sweeps"));

        // Launched with the CLI (a database client with its own copy of the parser), opened in the browser.
        var file = Path.Combine(Path.GetTempPath(), $"cancel-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, StandinSpec.Replace("name: browser", "name: \"<i>cancel</i> me\""));
        var (code, stdout, err) = DrllmProcess.Run("sweep", "launch", file, "--db", d.ConnectionString);
        File.Delete(file);
        Assert.True(code == 0, err);
        long id = long.Parse(stdout.Trim(), Inv);
        await page.GotoAsync(d.Url($"/sweeps/{id}"));
        await Expect(page.Locator("#sweep-title")).ToContainTextAsync("<i>cancel</i> me");
        Assert.Equal(0, await page.Locator("#sweep-title i").CountAsync());
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("queued");
        await Mark(page);

        // The sweeps list in a second page: rows change there without a reload too.
        var list = await NewPage(fx.Browser);
        await list.GotoAsync(d.Url("/"));
        var row = list.Locator($"#sweeps tr.sweep-{id}");
        await Expect(row.Locator(".status")).ToHaveTextAsync("queued");
        await Mark(list);

        await page.ClickAsync("#cancel");
        await Expect(page.Locator("#cancel-message")).ToContainTextAsync("cancelling (was queued)");
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("cancelling");
        await Expect(page.Locator("#cancel")).ToHaveCountAsync(0);
        Assert.Equal("cancelling", Db.SweepStatus(d.ConnectionString, id));
        await Expect(row.Locator(".status")).ToHaveTextAsync("cancelling", new() { Timeout = 15_000 });

        // A silo finishing the cancel (here: the test, as the Sweep grain would): both open pages see it, pushed.
        Db.Exec(d.ConnectionString, $"update sweeps set status = 'cancelled', finished_at = now() where id = {id}");
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("cancelled", new() { Timeout = 15_000 });
        await Expect(page.Locator("#progress")).ToHaveAttributeAsync("data-finished", "true");
        await Expect(row.Locator(".status")).ToHaveTextAsync("cancelled", new() { Timeout = 15_000 });
        Assert.True(await NotReloaded(page) && await NotReloaded(list), "the pages were updated over the circuit, not reloaded");
        await list.Context.CloseAsync();

        await page.GotoAsync(d.Url("/silos"));
        await Expect(page.Locator("body")).ToContainTextAsync("No silo has joined");
        await page.GotoAsync(d.Url("/sweeps/999"));
        await Expect(page.Locator("h4")).ToHaveTextAsync("No sweep 999");
        Assert.Equal(404, (await page.APIRequest.GetAsync(d.Url("/api/sweeps/999/progress"))).Status);
        // Addresses a user can mistype: each a page that says what is wrong (a typed query parameter that did not parse
        // used to end the circuit; an id too large for a route, a blank 404).
        await page.GotoAsync(d.Url("/launch?from=abc"));
        await Expect(page.Locator("#spec-errors")).ToContainTextAsync("from=abc: no sweep with that id to clone");
        await page.GotoAsync(d.Url($"/sweeps/{id}?launched=yes"));
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("cancelled");
        await page.GotoAsync(d.Url("/sweeps/99999999999999999999"));
        await Expect(page.Locator("#not-found")).ToContainTextAsync("/sweeps/99999999999999999999 is not a page");
        await page.GotoAsync(d.Url("/compare?ids=1,x"));
        await Expect(page.Locator("#compare-error")).ToHaveTextAsync("'x' is not an experiment id");
        await page.GotoAsync(d.Url("/evaluations/1/examples/2"));
        await Expect(page.Locator("h4")).ToHaveTextAsync("No evaluated example 2 in evaluation 1");
    }

    [Fact]
    public async Task Off_loopback_the_dashboard_needs_a_token_and_refuses_to_start_without_one()
    {
        var cs = fx.Pg.CreateDatabase();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => DashboardHost.CreateAsync(new DashboardOptions(cs, "http://0.0.0.0:0")));
        Assert.Contains("--token", e.Message);
        Assert.True(DashboardHost.IsLoopbackOnly("http://127.0.0.1:5080;http://localhost:5081;http://[::1]:5082"));
        Assert.False(DashboardHost.IsLoopbackOnly("http://127.0.0.1:5080;http://*:5081"));
        Assert.False(DashboardHost.IsLoopbackOnly("http://10.1.2.3:5080"));

        const string token = "s3cret-<&>";
        await using var d = await fx.StartDashboardAsync(cs, host: "0.0.0.0", token: token);
        using var http = new HttpClient();
        var denied = await http.GetAsync(d.Url("/"));
        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Contains("token", await denied.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(d.Url("/api/sweeps/1/progress"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(d.Url("/?token=wrong"))).StatusCode);
        using (var withHeader = new HttpRequestMessage(HttpMethod.Get, d.Url("/nodes")))
        {
            withHeader.Headers.Add(DashboardHost.TokenHeader, token);
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(withHeader)).StatusCode);
        }

        // In the browser: the login page, a wrong token refused, the right one sets the cookie, which then carries the
        // pages and their circuit (the silos page's figures refresh over it).
        var page = await NewPage(fx.Browser);
        await page.GotoAsync(d.Url("/silos"));
        await page.WaitForURLAsync(new Regex(@"/login\?returnUrl=%2Fsilos$"));
        await page.FillAsync("#token", "wrong");
        await page.ClickAsync("#sign-in");
        await Expect(page.Locator("#login-error")).ToBeVisibleAsync();
        await page.FillAsync("#token", token);
        await page.ClickAsync("#sign-in");
        await page.WaitForURLAsync(new Regex(@"/silos$"));
        await Expect(page.Locator("#refreshes")).Not.ToHaveTextAsync("0", new() { Timeout = 15_000 });
        var byLink = await NewPage(fx.Browser);
        Assert.Equal(200, (await byLink.GotoAsync(d.Url("/?token=" + Uri.EscapeDataString(token))))!.Status);
        Assert.Equal(200, (await byLink.GotoAsync(d.Url("/compare")))!.Status);
    }

    [Fact]
    public void The_cli_says_in_one_line_what_is_wrong_with_the_database_or_the_address()
    {
        var (code, _, err) = DrllmProcess.Run("dashboard", "--db", "Host=127.0.0.1;Port=1;Username=drllm;Database=drllm;Timeout=5");
        Assert.Equal(1, code);
        Assert.StartsWith("error: cannot reach the cluster database", err);
        Assert.Single(err.Trim().Split('\n'));
        (code, _, err) = DrllmProcess.Run("dashboard", "--db", "Hots=127.0.0.1");
        Assert.Equal(1, code);
        Assert.StartsWith("error: --db: not a valid PostgreSQL connection string", err);
        (code, _, err) = DrllmProcess.Run("dashboard", "--db", fx.Pg.AdminConnectionString, "--urls", "http://0.0.0.0:5999");
        Assert.Equal(1, code);
        Assert.Contains("not a loopback address: pass --token", err);
    }
}
