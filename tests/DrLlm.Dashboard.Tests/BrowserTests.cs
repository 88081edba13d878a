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

    private static async Task LaunchThroughForm(IPage page, RunningDashboard d, string spec)
    {
        await page.GotoAsync(d.Url("/"));
        await page.FillAsync("#spec", spec);
        await page.ClickAsync("#launch");
    }

    [Fact]
    public async Task A_spec_launched_in_the_browser_runs_on_a_node_and_its_progress_results_charts_and_paths_show()
    {
        await using var d = await fx.StartDashboardAsync();
        using var node = new NodeProcess(d.ConnectionString, "dash-node", "sa=standin:latency=2ms,blocks=8", concurrency: 2);
        var page = await NewPage(fx.Browser);

        // Two bad specs: each error is shown in the page, the text stays in the box, and nothing is created.
        await LaunchThroughForm(page, d, "name: broken\nmodels: [sa\n");
        await Expect(page.Locator("#spec-errors")).ToContainTextAsync("not valid YAML");
        await LaunchThroughForm(page, d, StandinSpec.Replace("split: test, n: 4}\n  - name: ood", "split: tset, n: 4}\n  - name: ood"));
        await Expect(page.Locator("#spec-errors")).ToContainTextAsync("spec: tasks[0].eval.split: must be train, validation or test, got 'tset'");
        Assert.Contains("tset", await page.InputValueAsync("#spec"));
        Assert.Equal(0L, Db.Scalar<long>(d.ConnectionString, "select count(*) from sweeps"));

        // A good one: queued, then the page follows it live (the script polls the JSON endpoint) until it is done.
        await LaunchThroughForm(page, d, StandinSpec);
        await page.WaitForURLAsync(new Regex(@"/sweeps/\d+\?launched=1$"));
        long id = Db.Scalar<long>(d.ConnectionString, "select max(id) from sweeps");
        Assert.EndsWith($"/sweeps/{id}?launched=1", page.Url);
        await Expect(page.Locator("#launched")).ToBeVisibleAsync();
        var first = await page.Locator("#sweep-status").TextContentAsync();
        Assert.True(first is "queued" or "running", $"freshly launched sweep shows '{first}'");
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("done", new() { Timeout = 120_000 });
        Assert.True(Db.SweepStatus(d.ConnectionString, id) == "done", Db.Diagnostics(d.ConnectionString, id, node));
        await Expect(page.Locator("[data-stage=experiments] .count")).ToHaveTextAsync("2/2");

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

        // Experiment → its trees → the path viewer of one example, against the row.
        await page.ClickAsync($"#experiments tr[data-experiment='{rows[0][0]}'] a");
        await Expect(page.Locator("#trees tbody tr")).ToHaveCountAsync(4);
        await Expect(page.Locator("#training-epochs tbody tr")).ToHaveCountAsync(3);
        await page.Locator("#trees tbody tr a").First.ClickAsync();
        await page.WaitForURLAsync(new Regex(@"/trees/\d+$"));
        long tree = long.Parse(page.Url[(page.Url.LastIndexOf('/') + 1)..], Inv);
        var t = Db.Rows(d.ConnectionString, $"select default_correct, cardinality(best_path), labels from search_trees where id = {tree}")[0];
        await Expect(page.Locator("#default-correct")).ToHaveTextAsync((bool)t[0]! ? "yes" : "no");
        await Expect(page.Locator("#best-path .blk")).ToHaveCountAsync(Convert.ToInt32(t[1], Inv));
        var labels = (int[])t[2]!;
        await Expect(page.Locator("#block-labels .blk")).ToHaveCountAsync(labels.Length);
        string[] names = ["skip", "execute", "repeat"];
        for (int b = 0; b < labels.Length; b++)
            await Expect(page.Locator("#block-labels .blk").Nth(b)).ToHaveTextAsync($"{b}: {names[labels[b]]}");

        // The search tree itself, from the stored MCTS state: the root is the default path, then the visited moves.
        await Expect(page.Locator("#search-tree tbody tr").First).ToContainTextAsync("default path");
        Assert.True(await page.Locator("#search-tree tbody tr").CountAsync() > 1, "the tree shows the root's visited children");

        // Lists: the sweep, and the node with its model.
        await page.GotoAsync(d.Url("/"));
        await Expect(page.Locator($"#sweeps tr[data-sweep='{id}'] .status")).ToHaveTextAsync("done");
        await page.ClickAsync("header a[href='/nodes']");
        var nodeRow = page.Locator("#nodes tr[data-node='dash-node']");
        await Expect(nodeRow.Locator(".status")).ToHaveTextAsync("up");
        await Expect(nodeRow).ToContainTextAsync("sa:ready");
    }

    [Fact]
    public async Task A_sweep_is_cancelled_from_its_page_and_names_are_shown_as_text()
    {
        await using var d = await fx.StartDashboardAsync(); // no node: the sweep stays queued until cancelled
        var page = await NewPage(fx.Browser);
        await LaunchThroughForm(page, d, StandinSpec.Replace("name: browser", "name: \"<i>cancel</i> me\""));
        await page.WaitForURLAsync(new Regex(@"/sweeps/\d+\?launched=1$"));
        await Expect(page.Locator("h1")).ToContainTextAsync("<i>cancel</i> me");
        Assert.Equal(0, await page.Locator("h1 i").CountAsync());
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("queued");

        await page.ClickAsync("#cancel");
        await Expect(page.Locator("#cancel-message")).ToContainTextAsync("cancelling (was queued)");
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("cancelling");
        await Expect(page.Locator("#cancel")).ToHaveCountAsync(0);
        long id = Db.Scalar<long>(d.ConnectionString, "select max(id) from sweeps");
        Assert.Equal("cancelling", Db.SweepStatus(d.ConnectionString, id));

        // The sweeps list, open in a second page with a spec half typed into the launch form, polls the row too.
        var list = await NewPage(fx.Browser);
        await list.GotoAsync(d.Url("/"));
        var row = list.Locator($"#sweeps tr[data-sweep='{id}']");
        await Expect(row.Locator(".status")).ToHaveTextAsync("cancelling");
        await Expect(row).ToHaveAttributeAsync("data-polled", new Regex("^[1-9]"), new() { Timeout = 15_000 });
        await list.FillAsync("#spec", "name: half typed");

        // A node finishing the cancel (here: the test, as the Sweep actor would): the open pages see it through the poll.
        Db.Exec(d.ConnectionString, $"update sweeps set status = 'cancelled', finished_at = now() where id = {id}");
        await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("cancelled", new() { Timeout = 15_000 });
        await Expect(page.Locator("#progress")).ToHaveAttributeAsync("data-finished", "true"); // reloaded by the script
        await Expect(row.Locator(".status")).ToHaveTextAsync("cancelled", new() { Timeout = 15_000 });
        await Expect(row).ToHaveAttributeAsync("data-finished", "true"); // set by the script: the row stops polling
        Assert.Equal("name: half typed", await list.InputValueAsync("#spec")); // the list page was not reloaded
        await list.Context.CloseAsync();

        await page.GotoAsync(d.Url("/"));
        await Expect(page.Locator($"#sweeps tr[data-sweep='{id}'] .status")).ToHaveTextAsync("cancelled");
        Assert.Null(await page.Locator($"#sweeps tr[data-sweep='{id}']").GetAttributeAsync("data-polled")); // finished rows never poll
        await page.GotoAsync(d.Url("/nodes"));
        await Expect(page.Locator("main .notice")).ToContainTextAsync("No node has joined");
        await page.GotoAsync(d.Url("/sweeps/999"));
        await Expect(page.Locator("h1")).ToHaveTextAsync("No sweep 999");
        Assert.Equal(404, (await page.APIRequest.GetAsync(d.Url("/api/sweeps/999/progress"))).Status);
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

        // In the browser: the token once in the address, then the cookie carries it (forms and the poll included).
        var page = await NewPage(fx.Browser);
        var first = await page.GotoAsync(d.Url("/?token=" + Uri.EscapeDataString(token)));
        Assert.Equal(200, first!.Status);
        var next = await page.GotoAsync(d.Url("/nodes"));
        Assert.Equal(200, next!.Status);
        await LaunchThroughForm(page, d, StandinSpec);
        await page.WaitForURLAsync(new Regex(@"/sweeps/\d+\?launched=1$"));
        var stranger = await NewPage(fx.Browser);
        Assert.Equal(401, (await stranger.GotoAsync(d.Url("/nodes")))!.Status);
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
