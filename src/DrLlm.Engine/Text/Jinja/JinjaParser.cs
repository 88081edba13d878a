namespace DrLlm.Engine.Text.Jinja;

internal abstract record Node;
internal sealed record TextNode(string Text) : Node;
internal sealed record OutputNode(Expr Value) : Node;
internal sealed record IfNode(List<(Expr Condition, List<Node> Body)> Branches, List<Node> Else) : Node;
internal sealed record ForNode(List<string> Targets, Expr Iterable, Expr? Filter, List<Node> Body, List<Node> Else) : Node;
internal sealed record SetNode(Expr Target, Expr Value) : Node;

internal abstract record Expr;
internal sealed record Literal(object? Value) : Expr;
internal sealed record NameExpr(string Name) : Expr;
internal sealed record AttrExpr(Expr Target, string Name) : Expr;
internal sealed record IndexExpr(Expr Target, Expr Index) : Expr;
internal sealed record SliceExpr(Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr;
internal sealed record CallExpr(Expr Function, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;
internal sealed record FilterExpr(Expr Target, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr;
internal sealed record TestExpr(Expr Target, string Name, bool Negated, List<Expr> Args) : Expr;
internal sealed record BinaryExpr(string Op, Expr Left, Expr Right) : Expr;
internal sealed record UnaryExpr(string Op, Expr Operand) : Expr;
internal sealed record ConditionalExpr(Expr Condition, Expr Then, Expr? Else) : Expr;
internal sealed record ListExpr(List<Expr> Items) : Expr;
internal sealed record DictExpr(List<(Expr Key, Expr Value)> Items) : Expr;

/// <summary>
/// Parses the Jinja subset chat templates use: if/elif/else, for (with loop, else, inline if), set (names and
/// namespace attributes), expressions with Jinja's precedence (jinja2/parser.py: conditional, or, and, not, compare,
/// + -, ~, * / // %, unary, then postfix . [] () and | filters / is tests). Macros, blocks and includes are not supported.
/// </summary>
internal sealed class JinjaParser
{
    readonly List<Part> parts;
    int index;

    JinjaParser(List<Part> parts) => this.parts = parts;

    public static List<Node> Parse(string source)
    {
        var p = new JinjaParser(JinjaLexer.Split(source));
        var body = p.ParseBlock([], out var end);
        if (end is not null) throw new JinjaException($"unexpected '{{% {end} %}}'");
        return body;
    }

    /// <summary>Nodes up to a statement whose first word is in <paramref name="terminators"/> (returned in <paramref name="end"/>).</summary>
    List<Node> ParseBlock(string[] terminators, out string? end)
    {
        var nodes = new List<Node>();
        while (index < parts.Count)
        {
            var part = parts[index++];
            if (part.Kind == PartKind.Text) { nodes.Add(new TextNode(part.Body)); continue; }
            var s = new TokenStream(JinjaLexer.Tokenize(part.Body, part.Line));
            if (part.Kind == PartKind.Output) { nodes.Add(new OutputNode(s.ParseExpression())); s.ExpectEnd(); continue; }
            string keyword = s.Next().Text;
            if (terminators.Contains(keyword)) { end = keyword; tagStream = s; return nodes; }
            nodes.Add(keyword switch
            {
                "if" => ParseIf(s),
                "for" => ParseFor(s),
                "set" => ParseSet(s),
                _ => throw new JinjaException($"line {part.Line}: '{{% {keyword} %}}' is not supported"),
            });
        }
        if (terminators.Length > 0) throw new JinjaException($"missing '{{% {terminators[^1]} %}}'");
        end = null;
        return nodes;
    }

    TokenStream? tagStream; // the tokens of the terminator just read, e.g. the condition of an elif

    Node ParseIf(TokenStream s)
    {
        var branches = new List<(Expr, List<Node>)>();
        var condition = s.ParseExpression(); s.ExpectEnd();
        while (true)
        {
            var body = ParseBlock(["elif", "else", "endif"], out var end);
            branches.Add((condition, body));
            if (end == "elif") { condition = tagStream!.ParseExpression(); tagStream.ExpectEnd(); continue; }
            if (end == "else") { var other = ParseBlock(["endif"], out _); return new IfNode(branches, other); }
            return new IfNode(branches, []);
        }
    }

    Node ParseFor(TokenStream s)
    {
        var targets = new List<string> { s.ExpectName() };
        while (s.TryOperator(",")) targets.Add(s.ExpectName());
        if (s.Next().Text != "in") throw new JinjaException("expected 'in' in for");
        var iterable = s.ParseExpression(allowConditional: false);
        Expr? filter = null;
        if (s.Peek.Kind == TokenKind.Name && s.Peek.Text == "if") { s.Next(); filter = s.ParseExpression(allowConditional: false); }
        s.ExpectEnd();
        var body = ParseBlock(["else", "endfor"], out var end);
        var other = end == "else" ? ParseBlock(["endfor"], out _) : [];
        return new ForNode(targets, iterable, filter, body, other);
    }

    Node ParseSet(TokenStream s)
    {
        Expr target = new NameExpr(s.ExpectName());
        if (s.TryOperator(".")) target = new AttrExpr(target, s.ExpectName());
        if (!s.TryOperator("=")) throw new JinjaException("block '{% set %}…{% endset %}' is not supported; use '{% set x = … %}'");
        var value = s.ParseExpression();
        s.ExpectEnd();
        return new SetNode(target, value);
    }
}
