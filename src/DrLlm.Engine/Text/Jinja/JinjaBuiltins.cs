using System.Globalization;
using System.Text;

namespace DrLlm.Engine.Text.Jinja;

/// <summary>
/// Python/Jinja semantics for the values the interpreter passes around: truthiness, str(), comparison, arithmetic,
/// indexing, the filters, tests and str/dict methods chat templates call (jinja2/filters.py, jinja2/tests.py, Python
/// str methods), and tojson as transformers defines it (json.dumps with ensure_ascii=False).
/// </summary>
internal static class JinjaBuiltins
{
    public static bool Truthy(object? v) => v switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        System.Collections.ICollection c => c.Count > 0,
        _ => true,
    };

    /// <summary>Python str(): how {{ … }} renders a value.</summary>
    public static string Str(object? v) => v switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(v),
    };

    static string Repr(object? v) => v switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => double.IsInteger(d) && Math.Abs(d) < 1e16 ? d.ToString("F1", CultureInfo.InvariantCulture) : d.ToString("R", CultureInfo.InvariantCulture),
        string s => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'").Replace("\n", "\\n") + "'",
        List<object?> l => "[" + string.Join(", ", l.Select(Repr)) + "]",
        Dictionary<string, object?> d => "{" + string.Join(", ", d.Select(kv => Repr(kv.Key) + ": " + Repr(kv.Value))) + "}",
        Undefined => "",
        _ => v.ToString() ?? "",
    };

    public static IEnumerable<object?> Iterate(object? v) => v switch
    {
        List<object?> l => l,
        Dictionary<string, object?> d => d.Keys,
        string s => s.EnumerateRunes().Select(r => (object?)r.ToString()),
        null or Undefined => [],
        _ => throw new JinjaException($"{TypeName(v)} is not iterable"),
    };

    static string TypeName(object? v) => v switch
    {
        null => "none", Undefined => "undefined", bool => "bool", long => "int", double => "float", string => "string",
        List<object?> => "list", Dictionary<string, object?> => "dict", JinjaFunction => "function", _ => v.GetType().Name,
    };

    public static object? GetAttribute(object? target, string name) => target switch
    {
        Dictionary<string, object?> d when d.TryGetValue(name, out var v) => v,
        Dictionary<string, object?> d => DictMethod(d, name),
        string s => StringMethod(s, name),
        _ => Undefined.Value,
    };

    public static object? GetItem(object? target, object? key) => (target, key) switch
    {
        (Dictionary<string, object?> d, string k) => d.TryGetValue(k, out var v) ? v : Undefined.Value,
        (List<object?> l, long i) => i < -l.Count || i >= l.Count ? Undefined.Value : l[(int)(i < 0 ? i + l.Count : i)],
        (string s, long i) => i < -s.Length || i >= s.Length ? Undefined.Value : s[(int)(i < 0 ? i + s.Length : i)].ToString(),
        (Undefined or null, _) => Undefined.Value,
        (_, string k) => GetAttribute(target, k),
        _ => throw new JinjaException($"cannot index {TypeName(target)} with {TypeName(key)}"),
    };

    /// <summary>Python slicing target[start:stop:step] of a list or string.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        var items = target switch
        {
            List<object?> l => l,
            string s => s.Select(c => (object?)c.ToString()).ToList(),
            _ => throw new JinjaException($"cannot slice {TypeName(target)}"),
        };
        int n = items.Count, st = step is long k ? (int)k : 1;
        if (st == 0) throw new JinjaException("slice step cannot be zero");
        int Clamp(object? v, int dflt)
        {
            if (v is not long x) return dflt;
            if (x < 0) x += n;
            return (int)Math.Clamp(x, st > 0 ? 0 : -1, st > 0 ? n : n - 1);
        }
        int a = Clamp(start, st > 0 ? 0 : n - 1), b = Clamp(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (int i = a; st > 0 ? i < b : i > b; i += st) result.Add(items[i]);
        return target is string ? string.Concat(result.Cast<string>()) : result;
    }

    public static object? Binary(string op, object? l, object? r)
    {
        switch (op)
        {
            case "==": return ValueEquals(l, r);
            case "!=": return !ValueEquals(l, r);
            case "<" or ">" or "<=" or ">=":
                int c = Compare(l, r);
                return op switch { "<" => c < 0, ">" => c > 0, "<=" => c <= 0, _ => c >= 0 };
            case "in":
                return r switch
                {
                    string s => l is string sub ? s.Contains(sub, StringComparison.Ordinal) : throw new JinjaException($"'in <string>' needs a string, got {TypeName(l)}"),
                    List<object?> list => list.Any(x => ValueEquals(x, l)),
                    Dictionary<string, object?> d => l is string key && d.ContainsKey(key),
                    null or Undefined => false,
                    _ => throw new JinjaException($"'in' is not supported for {TypeName(r)}"),
                };
            case "~": return Str(l) + Str(r);
            case "+" when l is string a && r is string b: return a + b;
            case "+" when l is List<object?> a && r is List<object?> b: return a.Concat(b).ToList();
            default: return Arithmetic(op, l, r);
        }
    }

    public static object? Arithmetic(string op, object? l, object? r)
    {
        if (l is bool lb) l = lb ? 1L : 0L;
        if (r is bool rb) r = rb ? 1L : 0L;
        if (l is long a && r is long b)
            return op switch
            {
                "+" => a + b, "-" => a - b, "*" => a * b, "/" => (object)((double)a / b), // (object): keep long arms long
                "//" => b == 0 ? throw new JinjaException("division by zero") : (long)Math.Floor((double)a / b),
                "%" => b == 0 ? throw new JinjaException("division by zero") : ((a % b) + b) % b,
                _ => throw new JinjaException($"unknown operator {op}"),
            };
        if (l is long or double && r is long or double)
        {
            double x = Convert.ToDouble(l, CultureInfo.InvariantCulture), y = Convert.ToDouble(r, CultureInfo.InvariantCulture);
            return op switch { "+" => x + y, "-" => x - y, "*" => x * y, "/" => x / y, "//" => Math.Floor(x / y), "%" => x - y * Math.Floor(x / y), _ => throw new JinjaException($"unknown operator {op}") };
        }
        if (op == "*" && l is string s && r is long times) return string.Concat(Enumerable.Repeat(s, (int)Math.Max(0, times)));
        throw new JinjaException($"unsupported operand types for {op}: {TypeName(l)} and {TypeName(r)}");
    }

    public static bool ValueEquals(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (Undefined, Undefined) => true,
        (long or double or bool, long or double or bool) => Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture),
        (string x, string y) => x == y,
        (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => ValueEquals(p.First, p.Second)),
        _ => ReferenceEquals(a, b),
    };

    static int Compare(object? a, object? b) => (a, b) switch
    {
        (long or double, long or double) => Convert.ToDouble(a, CultureInfo.InvariantCulture).CompareTo(Convert.ToDouble(b, CultureInfo.InvariantCulture)),
        (string x, string y) => string.CompareOrdinal(x, y),
        _ => throw new JinjaException($"cannot compare {TypeName(a)} with {TypeName(b)}"),
    };

    public static object? Filter(string name, object? v, List<object?> args, Dictionary<string, object?> kwargs) => name switch
    {
        "trim" => Str(v).Trim(),
        "length" or "count" => v switch
        {
            string s => (long)s.Length, System.Collections.ICollection c => (long)c.Count, null or Undefined => 0L,
            _ => throw new JinjaException($"{TypeName(v)} has no length"),
        },
        "string" => Str(v),
        "lower" => Str(v).ToLowerInvariant(),
        "upper" => Str(v).ToUpperInvariant(),
        "capitalize" => Str(v) is { Length: > 0 } s ? char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant() : "",
        "default" or "d" => v is Undefined || (args.Count > 1 && Truthy(args[1]) && !Truthy(v)) ? (args.Count > 0 ? args[0] : "") : v,
        "join" => string.Join(args.Count > 0 ? Str(args[0]) : "", Iterate(v).Select(Str)),
        "first" => Iterate(v).FirstOrDefault(Undefined.Value),
        "last" => v is List<object?> { Count: > 0 } l ? l[^1] : Undefined.Value,
        "list" => Iterate(v).ToList(),
        "reverse" => v is string s ? new string(s.Reverse().ToArray()) : Iterate(v).Reverse().ToList(),
        "items" => v is Dictionary<string, object?> d ? d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList() : throw new JinjaException("items needs a dict"),
        "replace" => Str(v).Replace(Str(args[0]), Str(args[1]), StringComparison.Ordinal),
        "int" => v switch { long l => l, double d => (long)d, string s when long.TryParse(s, out var x) => x, _ => 0L },
        "tojson" => ToJson(v, kwargs.GetValueOrDefault("indent") is long indent ? (int)indent : null, 0),
        _ => throw new JinjaException($"filter '{name}' is not supported"),
    };

    public static bool Test(string name, object? v, List<object?> args) => name switch
    {
        "defined" => v is not Undefined,
        "undefined" => v is Undefined,
        "none" => v is null,
        "string" => v is string,
        "number" => v is long or double,
        "integer" => v is long,
        "float" => v is double,
        "boolean" => v is bool,
        "true" => v is true,
        "false" => v is false,
        "mapping" => v is Dictionary<string, object?>,
        "iterable" => v is string or List<object?> or Dictionary<string, object?>,
        "sequence" => v is string or List<object?> or Dictionary<string, object?>,
        "callable" => v is JinjaFunction,
        "odd" => v is long l && l % 2 != 0,
        "even" => v is long l && l % 2 == 0,
        "eq" or "equalto" or "==" => ValueEquals(v, args.FirstOrDefault()),
        _ => throw new JinjaException($"test '{name}' is not supported"),
    };

    static object? DictMethod(Dictionary<string, object?> d, string name) => name switch
    {
        "items" => (JinjaFunction)((_, _) => d.Select(kv => (object?)new List<object?> { kv.Key, kv.Value }).ToList()),
        "keys" => (JinjaFunction)((_, _) => d.Keys.Select(k => (object?)k).ToList()),
        "values" => (JinjaFunction)((_, _) => d.Values.ToList()),
        "get" => (JinjaFunction)((a, _) => a.Count > 0 && a[0] is string k && d.TryGetValue(k, out var v) ? v : a.Count > 1 ? a[1] : null),
        _ => Undefined.Value,
    };

    /// <summary>Python str methods; strip/lstrip/rstrip with an argument strip any of its characters.</summary>
    static object? StringMethod(string s, string name)
    {
        static char[]? Chars(List<object?> a) => a.Count > 0 && a[0] is string c ? c.ToCharArray() : null;
        return name switch
        {
            "startswith" => (JinjaFunction)((a, _) => s.StartsWith(Str(a[0]), StringComparison.Ordinal)),
            "endswith" => (JinjaFunction)((a, _) => s.EndsWith(Str(a[0]), StringComparison.Ordinal)),
            "strip" => (JinjaFunction)((a, _) => Chars(a) is { } c ? s.Trim(c) : s.Trim()),
            "lstrip" => (JinjaFunction)((a, _) => Chars(a) is { } c ? s.TrimStart(c) : s.TrimStart()),
            "rstrip" => (JinjaFunction)((a, _) => Chars(a) is { } c ? s.TrimEnd(c) : s.TrimEnd()),
            "lower" => (JinjaFunction)((_, _) => s.ToLowerInvariant()),
            "upper" => (JinjaFunction)((_, _) => s.ToUpperInvariant()),
            "replace" => (JinjaFunction)((a, _) => s.Replace(Str(a[0]), Str(a[1]), StringComparison.Ordinal)),
            "split" => (JinjaFunction)((a, _) => (a.Count > 0 && a[0] is string sep
                ? s.Split(sep)
                : s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).Select(x => (object?)x).ToList()),
            "title" => (JinjaFunction)((_, _) => CultureInfo.InvariantCulture.TextInfo.ToTitleCase(s.ToLowerInvariant())),
            _ => Undefined.Value,
        };
    }

    /// <summary>json.dumps(v, ensure_ascii=False, indent=indent) with Python's default separators.</summary>
    public static string ToJson(object? v, int? indent, int depth)
    {
        string Nl(int d) => indent is int n ? "\n" + new string(' ', n * d) : "";
        string itemSep = indent is null ? ", " : ",";
        return v switch
        {
            null or Undefined => "null",
            bool b => b ? "true" : "false",
            long or double => Repr(v),
            string s => Quote(s),
            List<object?> { Count: 0 } => "[]",
            List<object?> l => "[" + string.Join(itemSep, l.Select(x => Nl(depth + 1) + ToJson(x, indent, depth + 1))) + Nl(depth) + "]",
            Dictionary<string, object?> { Count: 0 } => "{}",
            Dictionary<string, object?> d => "{" + string.Join(itemSep, d.Select(kv => Nl(depth + 1) + Quote(kv.Key) + ": " + ToJson(kv.Value, indent, depth + 1))) + Nl(depth) + "}",
            _ => throw new JinjaException($"{TypeName(v)} is not JSON serializable"),
        };
    }

    static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in s)
            sb.Append(c switch
            {
                '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", '\b' => "\\b", '\f' => "\\f",
                < ' ' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        return sb.Append('"').ToString();
    }
}
