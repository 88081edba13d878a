using System.Net;
using System.Security.Cryptography;
using System.Text;
using DrLlm.Cluster.Data;
using DrLlm.Dashboard.Components;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace DrLlm.Dashboard;

/// <summary>How the dashboard runs: the cluster database, the addresses it listens on, and the access token (required
/// whenever one of the addresses is not a loopback address).</summary>
public sealed record DashboardOptions(string ConnectionString, string Urls = DashboardOptions.DefaultUrls, string? Token = null)
{
    public const string DefaultUrls = "http://127.0.0.1:5080";
}

/// <summary>
/// Builds the dashboard: static server-rendered Razor components over the cluster database, a JSON progress endpoint, and
/// a token check. <see cref="CreateAsync"/> refuses a non-loopback address without a token and a database it cannot
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

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            { ApplicationName = typeof(DashboardHost).Assembly.GetName().Name, ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.WebHost.UseUrls(options.Urls);
        builder.Logging.ClearProviders();
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            // antiforgery keys live in ~/.aspnet/DataProtection-Keys unencrypted, as the warning says; they only protect forms
            .AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        builder.Services.AddRazorComponents();
        builder.Services.AddAntiforgery();
        builder.Services.AddSingleton(new DashboardData(options.ConnectionString));

        var app = builder.Build();
        if (token is not null) app.Use(TokenCheck(token));
        app.UseAntiforgery();
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
        app.MapRazorComponents<App>();
        return app;
    }

    /// <summary>Every request must carry the token: ?token=T (which also sets a cookie, so links keep working), the
    /// cookie, or the X-Drllm-Token header (or Authorization: Bearer T) for scripts.</summary>
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
            ctx.Response.StatusCode = StatusCodes.Status401Unauthorized;
            ctx.Response.ContentType = "text/plain; charset=utf-8";
            await ctx.Response.WriteAsync("401: this dashboard needs its token: open it once as /?token=TOKEN (then a cookie keeps it), " +
                $"or send the header {TokenHeader}: TOKEN\n");
        };
    }
}
