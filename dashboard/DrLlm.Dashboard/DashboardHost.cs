using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using DrLlm.Cluster.Data;
using DrLlm.Dashboard.Cluster;
using DrLlm.Dashboard.Components;
using Microsoft.AspNetCore.Antiforgery;
using MudBlazor.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DrLlm.Dashboard;

/// <summary>How the dashboard runs: the cluster database, the addresses it listens on, the access token (required
/// whenever one of the addresses is not a loopback address), and the Orleans cluster id its client joins.</summary>
public sealed record DashboardOptions(string ConnectionString, string Urls = DashboardOptions.DefaultUrls, string? Token = null,
    string ClusterId = "drllm")
{
    public const string DefaultUrls = "http://127.0.0.1:5080";
}

/// <summary>
/// Builds the dashboard: interactive Blazor Server pages on MudBlazor over the cluster database (figures pushed over the
/// circuit), an Orleans client for what needs a silo, a JSON progress endpoint for scripts, and a token check with a
/// login page. <see cref="CreateAsync"/> refuses a non-loopback address without a token and a database it cannot
/// reach, each with a one-line reason.
/// </summary>
public static class DashboardHost
{
    public const string TokenCookie = "drllm_dashboard_token";
    public const string TokenHeader = "X-Drllm-Token";

    /// <summary>Whether every address in <paramref name="urls"/> (';'-separated) is a loopback address.</summary>
    public static bool IsLoopbackOnly(string urls)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Kestrel's wildcards (http://*:5080, http://+:5080) are not valid URIs; they bind every interface.
            if (!Uri.TryCreate(url.Replace("://*", "://wildcard").Replace("://+", "://wildcard"), UriKind.Absolute, out var u)
                || u.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--urls: '{url}' is not an http(s)://HOST:PORT address");
            if (u.Host == "wildcard") return false;
            if (string.Equals(u.Host, "localhost", StringComparison.OrdinalIgnoreCase)) continue;
            if (!IPAddress.TryParse(u.Host.Trim('[', ']'), out var ip) || !IPAddress.IsLoopback(ip)) return false;
        }
        return true;
    }

    /// <summary>Checks the options, migrates the database (safe while nodes run: the migrator locks), builds the app.
    /// The caller starts it (<c>RunAsync</c>, or <c>StartAsync</c> in tests).</summary>
    public static async Task<WebApplication> CreateAsync(DashboardOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var token = string.IsNullOrEmpty(options.Token) ? null : options.Token;
        if (!IsLoopbackOnly(options.Urls) && token is null)
            throw new InvalidOperationException($"--urls {options.Urls} is not a loopback address: pass --token T (or set DRLLM_DASHBOARD_TOKEN) " +
                "so that only people who have the token can launch and cancel sweeps");
        try { _ = new NpgsqlConnectionStringBuilder(options.ConnectionString); }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new ArgumentException($"--db: not a valid PostgreSQL connection string ({e.Message})", e);
        }
        try { await Migrator.MigrateAsync(options.ConnectionString); }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new InvalidOperationException($"cannot reach the cluster database ({e.Message})", e);
        }

        // The assembly's name finds its static web assets manifest (blazor.web.js, MudBlazor's files) next to it.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            { ApplicationName = typeof(DashboardHost).Assembly.GetName().Name, ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            // antiforgery keys live in ~/.aspnet/DataProtection-Keys unencrypted, as the warning says; they only protect forms
            .AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // A pasted spec travels over the circuit: room for the largest one the parser reads (1 Mi characters, up to 4 bytes
        // each), where SignalR's default of 32 KB would drop the circuit on a long spec.
        builder.Services.AddRazorComponents().AddInteractiveServerComponents()
            .AddHubOptions(o => o.MaximumReceiveMessageSize = 5L * 1024 * 1024);
        builder.Services.AddMudServices();
        builder.Services.AddAntiforgery();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new DashboardData(options.ConnectionString));
        builder.Services.AddSingleton<ClusterConnection>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterConnection>());

        var app = builder.Build();
        // An address no page has (e.g. /sweeps/12345678901234567890: not a sweep id) gets a page that says so, not a blank 404.
        app.UseStatusCodePages(async ctx =>
        {
            var http = ctx.HttpContext;
            if (http.Response.StatusCode != StatusCodes.Status404NotFound || !http.Request.Headers.Accept.ToString().Contains("text/html")) return;
            http.Response.ContentType = "text/html; charset=utf-8";
            await http.Response.WriteAsync("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>drllm dashboard: no such page</title></head>" +
                "<body style=\"font-family:system-ui,sans-serif;margin:2rem\"><h1>No such page</h1><p id=\"not-found\">" +
                WebUtility.HtmlEncode(http.Request.Path + http.Request.QueryString) + " is not a page of this dashboard.</p>" +
                "<p><a href=\"/\">Sweeps</a> · <a href=\"/launch\">Launch</a> · <a href=\"/compare\">Compare</a> · <a href=\"/silos\">Silos</a></p></body></html>");
        });
        if (token is not null) app.Use(TokenCheck(token));
        app.UseAntiforgery();
        app.MapStaticAssets();
        if (token is not null) MapLogin(app, token);
        app.MapGet("/api/sweeps/{id:long}/progress", async (long id, DashboardData data) =>
        {
            var s = await data.SweepAsync(id);
            if (s is null) return Results.NotFound(new { error = $"no sweep {id}" });
            var p = s;
            return Results.Json(new
            {
                id = p.Id, name = p.Name, status = p.Status, finished = p.IsFinished, failures = p.Failures,
                stages = new Dictionary<string, object>
                {
                    ["search"] = new { done = p.TreesFinished, total = p.Trees },
                    ["train"] = new { done = p.TrainingsFinished, total = p.Trainings },
                    ["evaluate"] = new { done = p.EvaluationsFinished, total = p.Evaluations },
                    ["experiments"] = new { done = p.ExperimentsDone, total = p.Experiments, failed = p.ExperimentsFailed },
                },
            });
        });
        app.MapGet("/api/experiments/{id:long}/results.csv", async (long id, DashboardData data) =>
        {
            if (await data.ExperimentAsync(id) is null) return Results.NotFound(new { error = $"no experiment {id}" });
            var rows = await data.ResultsAsync(id);
            var sb = new StringBuilder("evaluation_id,task,split,domain,item_id,gold,baseline_answer,baseline_correct,routed_answer,routed_correct,routed_layers,routed_path,decisions\n");
            foreach (var r in rows)
                sb.AppendJoin(',', [r.EvaluationId.ToString(CultureInfo.InvariantCulture), Csv(r.Task), Csv(r.Split), Csv(r.Domain), Csv(r.ItemId), Csv(r.Gold),
                    Csv(r.BaselineAnswer), r.BaselineCorrect ? "true" : "false", Csv(r.RoutedAnswer), r.RoutedCorrect ? "true" : "false",
                    r.RoutedPath.Length.ToString(CultureInfo.InvariantCulture), Csv(string.Join(' ', r.RoutedPath)), Csv(string.Join(' ', r.Decisions))]).Append('\n');
            return Results.File(Encoding.UTF8.GetBytes(sb.ToString()), "text/csv; charset=utf-8", $"experiment-{id}-results.csv");
        });
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }

    /// <summary>A CSV field: quoted when it holds a comma, quote or line break; a leading =, +, - or @ is prefixed with
    /// an apostrophe so a spreadsheet shows a model's answer as text instead of running it as a formula.</summary>
    private static string Csv(string? s)
    {
        if (string.IsNullOrEmpty(s)) return "";
        if (s[0] is '=' or '+' or '-' or '@' && !double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) s = "'" + s;
        return s.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;
    }

    public const string LoginPath = "/login";

    /// <summary>The login page: a form that posts the token (with an antiforgery token) and, when it matches, sets the cookie.</summary>
    private static void MapLogin(WebApplication app, string token)
    {
        app.MapGet(LoginPath, (HttpContext ctx, IAntiforgery af, string? returnUrl, string? failed) =>
        {
            var t = af.GetAndStoreTokens(ctx);
            string back = SafeReturn(returnUrl);
            string error = failed is null ? "" : "<p id=\"login-error\" style=\"color:#a00\">That token is not this dashboard's.</p>";
            return Results.Content($$"""
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>drllm dashboard: sign in</title></head>
                <body style="font-family:system-ui,sans-serif;max-width:30rem;margin:4rem auto">
                <h1>drllm dashboard</h1><p>This dashboard listens beyond loopback and needs its token (drllm dashboard --token).</p>{{error}}
                <form method="post" action="{{LoginPath}}"><input type="hidden" name="{{t.FormFieldName}}" value="{{t.RequestToken}}">
                <input type="hidden" name="returnUrl" value="{{WebUtility.HtmlEncode(back)}}">
                <label>Token <input id="token" name="token" type="password" autofocus></label> <button id="sign-in" type="submit">Sign in</button></form>
                </body></html>
                """, "text/html; charset=utf-8");
        });
        var expected = Encoding.UTF8.GetBytes(token);
        app.MapPost(LoginPath, async (HttpContext ctx, IAntiforgery af) =>
        {
            await af.ValidateRequestAsync(ctx);
            var form = await ctx.Request.ReadFormAsync();
            string back = SafeReturn(form["returnUrl"].ToString());
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(form["token"].ToString()), expected))
                return Results.Redirect($"{LoginPath}?failed=1&returnUrl={Uri.EscapeDataString(back)}");
            ctx.Response.Cookies.Append(TokenCookie, token, new CookieOptions
                { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = ctx.Request.IsHttps, Path = "/" });
            return Results.Redirect(back);
        });
    }

    /// <summary>Only a local path may be returned to after signing in (never another site).</summary>
    private static string SafeReturn(string? url) =>
        url is { Length: > 0 } u && u.StartsWith('/') && !u.StartsWith("//", StringComparison.Ordinal) && !u.Contains('\\') ? u : "/";

    /// <summary>Every request must carry the token: the cookie the login page (or ?token=T in a link) sets, or the
    /// X-Drllm-Token header (or Authorization: Bearer T) for scripts. A browser without it is sent to the login page;
    /// anything else gets 401.</summary>
    private static Func<HttpContext, RequestDelegate, Task> TokenCheck(string token)
    {
        var expected = Encoding.UTF8.GetBytes(token);
        bool Matches(string? given) => given is not null &&
            CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected);
        return async (ctx, next) =>
        {
            var req = ctx.Request;
            string? bearer = req.Headers.Authorization.ToString() is { } a && a.StartsWith("Bearer ", StringComparison.Ordinal) ? a[7..] : null;
            if (Matches(req.Query["token"].ToString()))
            {
                ctx.Response.Cookies.Append(TokenCookie, token, new CookieOptions
                    { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = req.IsHttps, Path = "/" });
                await next(ctx);
                return;
            }
            if (Matches(req.Cookies[TokenCookie]) || Matches(req.Headers[TokenHeader].ToString()) || Matches(bearer))
            {
                await next(ctx);
                return;
            }
            if (req.Path.StartsWithSegments(LoginPath)) { await next(ctx); return; }
            if (HttpMethods.IsGet(req.Method) && req.Headers.Accept.ToString().Contains("text/html", StringComparison.Ordinal))
            {
                ctx.Response.Redirect($"{LoginPath}?returnUrl={Uri.EscapeDataString(req.Path + req.QueryString)}");
                return;
            }
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            await ctx.Response.WriteAsync("401: this dashboard needs its token: open it once as /?token=TOKEN (then a cookie keeps it), " +
                $"or send the header {TokenHeader}: TOKEN\n");
        };
    }
}
