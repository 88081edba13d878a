using System.Globalization;

namespace DrLlm.Dashboard.Components;

/// <summary>Number formatting for the pages (invariant culture; '–' for a value not there yet).</summary>
public static class Fmt
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    public static string Pct(double? x) => x is { } v && double.IsFinite(v) ? v.ToString("0.0%", Inv) : "–";
    public static string Num(double? x, string format = "0.###") => x is { } v && double.IsFinite(v) ? v.ToString(format, Inv) : "–";
    public static string SignedPct(double? x) => x is { } v && double.IsFinite(v) ? (v * 100).ToString("+0.0;-0.0;0.0", Inv) + " pp" : "–";
    public static string YesNo(bool? b) => b is { } v ? (v ? "yes" : "no") : "–";
    public static string Age(DateTime utc) => (DateTime.UtcNow - utc.ToUniversalTime()) switch
    {
        var t when t.TotalSeconds < 90 => $"{(int)t.TotalSeconds} s ago",
        var t when t.TotalMinutes < 90 => $"{(int)t.TotalMinutes} min ago",
        var t when t.TotalHours < 48 => $"{(int)t.TotalHours} h ago",
        var t => $"{(int)t.TotalDays} d ago",
    };
    public static string Stamp(DateTime? t) => t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", Inv) : "–";
    public static string Span(TimeSpan t) => t.TotalSeconds < 0 ? "0 s" : t.TotalSeconds < 90 ? $"{(int)t.TotalSeconds} s"
        : t.TotalMinutes < 90 ? $"{(int)t.TotalMinutes} min {t.Seconds} s" : $"{(int)t.TotalHours} h {t.Minutes} min";
    /// <summary>An experiment's settings key ("sims=16 c=1.4 lambda=0.3 p=0.1", ExperimentSettings.Key) as setting → value.</summary>
    public static Dictionary<string, string> Settings(string key) =>
        key.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=', 2)).Where(kv => kv.Length == 2)
            .ToDictionary(kv => kv[0], kv => kv[1]);
    public static int Percent(long done, long total) => total <= 0 ? 0 : (int)Math.Round(100.0 * done / total);
}
