using System.Text;

namespace DrLlm.Engine.Text.Jinja;

/// <summary>A Jinja undefined value: renders as "", is falsy, and yields undefined again on attribute access.</summary>
public sealed class Undefined
{
    public static readonly Undefined Value = new();
    public override string ToString() => "";
}

/// <summary>A callable value (global function, bound method) taking positional and keyword arguments.</summary>
public delegate object? JinjaFunction(List<object?> args, Dictionary<string, object?> kwargs);

/// <summary>The mutable object namespace(…) returns, so that loops can write to outer state (Jinja 2.10+).</summary>
public sealed class Namespace : Dictionary<string, object?>;

/// <summary>
/// Runs a parsed template. Values: null (none), <see cref="Undefined"/>, bool, long, double, string,
/// List&lt;object?&gt;, Dictionary&lt;string, object?&gt;, <see cref="Namespace"/>, <see cref="JinjaFunction"/>.
/// A for loop's body runs in its own scope (Jinja scoping), so "set" inside a loop does not leak out of it.
/// </summary>
internal sealed class JinjaInterpreter
{
    readonly List<Dictionary<string, object?>> scopes;
    readonly StringBuilder output = new();

    JinjaInterpreter(Dictionary<string, object?> globals) => scopes = [globals, new()];

    public static string Render(List<Node> template, Dictionary<string, object?> globals)
    {
        var r = new JinjaInterpreter(globals);
        r.Exec(template);
        return r.output.ToString();
    }

    void Exec(List<Node> nodes)
    {
        foreach (var node in nodes)
            switch (node)
            {
                case TextNode t: output.Append(t.Text); break;
                case OutputNode o: output.Append(JinjaBuiltins.Str(Eval(o.Value))); break;
                case IfNode i:
                    var branch = i.Branches.FirstOrDefault(b => JinjaBuiltins.Truthy(Eval(b.Condition)));
                    Exec(branch.Body ?? i.Else);
                    break;
                case ForNode f: ExecFor(f); break;
                case SetNode s:
                    var value = Eval(s.Value);
                    if (s.Target is NameExpr n) scopes[^1][n.Name] = value;
                    else if (s.Target is AttrExpr { Target: var t } a && Eval(t) is Namespace ns) ns[a.Name] = value;
                    else throw new JinjaException("'set' can assign to a name or to an attribute of a namespace()");
                    break;
            }
    }

    void ExecFor(ForNode f)
    {
        var items = JinjaBuiltins.Iterate(Eval(f.Iterable)).ToList();
        if (f.Filter is not null)
            items = items.Where(item => { scopes.Add(new()); Bind(f.Targets, item); bool keep = JinjaBuiltins.Truthy(Eval(f.Filter)); scopes.RemoveAt(scopes.Count - 1); return keep; }).ToList();
        if (items.Count == 0) { Exec(f.Else); return; }
        for (int i = 0; i < items.Count; i++)
        {
            var scope = new Dictionary<string, object?>
            {
                ["loop"] = new Dictionary<string, object?>
                {
                    ["index0"] = (long)i, ["index"] = (long)i + 1, ["first"] = i == 0, ["last"] = i == items.Count - 1,
                    ["length"] = (long)items.Count, ["revindex"] = (long)(items.Count - i), ["revindex0"] = (long)(items.Count - i - 1),
                    ["previtem"] = i > 0 ? items[i - 1] : Undefined.Value, ["nextitem"] = i + 1 < items.Count ? items[i + 1] : Undefined.Value,
                },
            };
            scopes.Add(scope);
            Bind(f.Targets, items[i]);
            Exec(f.Body);
            scopes.RemoveAt(scopes.Count - 1);
        }
    }

    void Bind(List<string> targets, object? item)
    {
        if (targets.Count == 1) { scopes[^1][targets[0]] = item; return; }
        var parts = JinjaBuiltins.Iterate(item).ToList();
        if (parts.Count != targets.Count) throw new JinjaException($"cannot unpack {parts.Count} values into {targets.Count} names");
        for (int i = 0; i < targets.Count; i++) scopes[^1][targets[i]] = parts[i];
    }

    object? Lookup(string name)
    {
        for (int i = scopes.Count - 1; i >= 0; i--)
            if (scopes[i].TryGetValue(name, out var v)) return v;
        return Undefined.Value;
    }

    object? Eval(Expr e) => e switch
    {
        Literal l => l.Value,
        NameExpr n => Lookup(n.Name),
        AttrExpr a => JinjaBuiltins.GetAttribute(Eval(a.Target), a.Name),
        IndexExpr i => JinjaBuiltins.GetItem(Eval(i.Target), Eval(i.Index)),
        SliceExpr s => JinjaBuiltins.Slice(Eval(s.Target), EvalOpt(s.Start), EvalOpt(s.Stop), EvalOpt(s.Step)),
        CallExpr c => Eval(c.Function) is JinjaFunction fn ? fn(c.Args.Select(Eval).ToList(), Kwargs(c.Kwargs))
            : throw new JinjaException($"{Describe(c.Function)} is not callable"),
        FilterExpr f => JinjaBuiltins.Filter(f.Name, Eval(f.Target), f.Args.Select(Eval).ToList(), Kwargs(f.Kwargs)),
        TestExpr t => JinjaBuiltins.Test(t.Name, Eval(t.Target), t.Args.Select(Eval).ToList()) != t.Negated,
        UnaryExpr { Op: "not" } u => !JinjaBuiltins.Truthy(Eval(u.Operand)),
        UnaryExpr u => JinjaBuiltins.Arithmetic(u.Op == "-" ? "*" : "+", Eval(u.Operand), u.Op == "-" ? -1L : 0L),
        BinaryExpr { Op: "and" } b => Eval(b.Left) is var l && !JinjaBuiltins.Truthy(l) ? l : Eval(b.Right),
        BinaryExpr { Op: "or" } b => Eval(b.Left) is var l && JinjaBuiltins.Truthy(l) ? l : Eval(b.Right),
        BinaryExpr b => JinjaBuiltins.Binary(b.Op, Eval(b.Left), Eval(b.Right)),
        ConditionalExpr c => JinjaBuiltins.Truthy(Eval(c.Condition)) ? Eval(c.Then) : c.Else is null ? Undefined.Value : Eval(c.Else),
        ListExpr l => l.Items.Select(Eval).ToList(),
        DictExpr d => d.Items.ToDictionary(kv => JinjaBuiltins.Str(Eval(kv.Key)), kv => Eval(kv.Value)),
        _ => throw new JinjaException($"cannot evaluate {e.GetType().Name}"),
    };

    object? EvalOpt(Expr? e) => e is null ? null : Eval(e);

    Dictionary<string, object?> Kwargs(List<(string Name, Expr Value)> kwargs) => kwargs.ToDictionary(k => k.Name, k => Eval(k.Value));

    static string Describe(Expr e) => e switch { NameExpr n => $"'{n.Name}'", AttrExpr a => $"'{a.Name}'", _ => "expression" };
}
