namespace DrLlm.Engine.Text.Jinja;

/// <summary>Expression parsing over one tag's tokens (precedence as in jinja2/parser.py).</summary>
internal sealed class TokenStream(List<Token> tokens)
{
    int pos;

    public Token Peek => tokens[pos];
    public Token Next()
    {
        var t = tokens[pos];
        if (pos < tokens.Count - 1) pos++;
        return t;
    }

    public void ExpectEnd()
    {
        if (Peek.Kind != TokenKind.End) throw new JinjaException($"line {Peek.Line}: unexpected '{Peek.Text}'");
    }

    public string ExpectName()
    {
        var t = Next();
        return t.Kind == TokenKind.Name ? t.Text : throw new JinjaException($"line {t.Line}: expected a name, got '{t.Text}'");
    }

    public bool TryOperator(string op)
    {
        if (Peek.Kind != TokenKind.Operator || Peek.Text != op) return false;
        pos++;
        return true;
    }

    bool TryName(string name)
    {
        if (Peek.Kind != TokenKind.Name || Peek.Text != name) return false;
        pos++;
        return true;
    }

    void Expect(string op)
    {
        if (!TryOperator(op)) throw new JinjaException($"line {Peek.Line}: expected '{op}', got '{Peek.Text}'");
    }

    public Expr ParseExpression(bool allowConditional = true)
    {
        var e = ParseOr();
        if (!allowConditional || !TryName("if")) return e;
        var condition = ParseOr();
        Expr? other = TryName("else") ? ParseExpression() : null;
        return new ConditionalExpr(condition, e, other);
    }

    Expr ParseOr()
    {
        var e = ParseAnd();
        while (TryName("or")) e = new BinaryExpr("or", e, ParseAnd());
        return e;
    }

    Expr ParseAnd()
    {
        var e = ParseNot();
        while (TryName("and")) e = new BinaryExpr("and", e, ParseNot());
        return e;
    }

    Expr ParseNot() => TryName("not") ? new UnaryExpr("not", ParseNot()) : ParseCompare();

    Expr ParseCompare()
    {
        var e = ParseMath1();
        while (true)
        {
            if (Peek.Kind == TokenKind.Operator && Peek.Text is "==" or "!=" or "<" or ">" or "<=" or ">=")
                e = new BinaryExpr(Next().Text, e, ParseMath1());
            else if (TryName("in")) e = new BinaryExpr("in", e, ParseMath1());
            else if (Peek.Kind == TokenKind.Name && Peek.Text == "not" && tokens[pos + 1] is { Kind: TokenKind.Name, Text: "in" })
            {
                pos += 2;
                e = new UnaryExpr("not", new BinaryExpr("in", e, ParseMath1()));
            }
            else return e;
        }
    }

    Expr ParseMath1()
    {
        var e = ParseConcat();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "+" or "-") e = new BinaryExpr(Next().Text, e, ParseConcat());
        return e;
    }

    Expr ParseConcat()
    {
        var e = ParseMath2();
        while (TryOperator("~")) e = new BinaryExpr("~", e, ParseMath2());
        return e;
    }

    Expr ParseMath2()
    {
        var e = ParseUnary();
        while (Peek.Kind == TokenKind.Operator && Peek.Text is "*" or "/" or "//" or "%") e = new BinaryExpr(Next().Text, e, ParseUnary());
        return e;
    }

    Expr ParseUnary()
    {
        if (Peek.Kind == TokenKind.Operator && Peek.Text is "-" or "+") { string op = Next().Text; return new UnaryExpr(op, ParseUnary()); }
        return ParseFilters(ParsePostfix(ParsePrimary()));
    }

    Expr ParsePrimary()
    {
        var t = Next();
        switch (t.Kind)
        {
            case TokenKind.String:
                string s = (string)t.Value!;
                while (Peek.Kind == TokenKind.String) s += (string)Next().Value!; // adjacent literals concatenate
                return new Literal(s);
            case TokenKind.Number: return new Literal(t.Value);
            case TokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new Literal(true),
                    "false" or "False" => new Literal(false),
                    "none" or "None" => new Literal(null),
                    _ => new NameExpr(t.Text),
                };
        }
        if (t.Text == "(")
        {
            var e = ParseExpression();
            if (TryOperator(",")) { var items = new List<Expr> { e }; while (!TryOperator(")")) { items.Add(ParseExpression()); TryOperator(","); } return new ListExpr(items); }
            Expect(")");
            return e;
        }
        if (t.Text == "[")
        {
            var items = new List<Expr>();
            while (!TryOperator("]")) { items.Add(ParseExpression()); if (!TryOperator(",")) { Expect("]"); break; } }
            return new ListExpr(items);
        }
        if (t.Text == "{")
        {
            var items = new List<(Expr, Expr)>();
            while (!TryOperator("}"))
            {
                var k = ParseExpression(); Expect(":"); items.Add((k, ParseExpression()));
                if (!TryOperator(",")) { Expect("}"); break; }
            }
            return new DictExpr(items);
        }
        throw new JinjaException($"line {t.Line}: unexpected '{t.Text}'");
    }

    Expr ParsePostfix(Expr e)
    {
        while (true)
        {
            if (TryOperator(".")) e = new AttrExpr(e, ExpectName());
            else if (TryOperator("[")) e = ParseSubscript(e);
            else if (TryOperator("(")) { var (a, k) = ParseArgs(); e = new CallExpr(e, a, k); }
            else return e;
        }
    }

    Expr ParseSubscript(Expr target)
    {
        Expr? start = null, stop = null, step = null;
        if (!(Peek.Kind == TokenKind.Operator && Peek.Text == ":")) start = ParseExpression();
        if (TryOperator("]")) return new IndexExpr(target, start!);
        Expect(":");
        if (!(Peek.Kind == TokenKind.Operator && Peek.Text is ":" or "]")) stop = ParseExpression();
        if (TryOperator(":") && !(Peek.Kind == TokenKind.Operator && Peek.Text == "]")) step = ParseExpression();
        Expect("]");
        return new SliceExpr(target, start, stop, step);
    }

    (List<Expr>, List<(string, Expr)>) ParseArgs()
    {
        var args = new List<Expr>(); var kwargs = new List<(string, Expr)>();
        while (!TryOperator(")"))
        {
            if (Peek.Kind == TokenKind.Name && tokens[pos + 1] is { Kind: TokenKind.Operator, Text: "=" })
            {
                string name = Next().Text; pos++;
                kwargs.Add((name, ParseExpression()));
            }
            else args.Add(ParseExpression());
            if (!TryOperator(",")) { Expect(")"); break; }
        }
        return (args, kwargs);
    }

    Expr ParseFilters(Expr e)
    {
        while (true)
        {
            if (TryOperator("|"))
            {
                string name = ExpectName();
                var (a, k) = TryOperator("(") ? ParseArgs() : ([], []);
                e = new FilterExpr(e, name, a, k);
            }
            else if (TryName("is"))
            {
                bool negated = TryName("not");
                string name = ExpectName();
                var args = new List<Expr>();
                if (TryOperator("(")) args = ParseArgs().Item1;
                else if (Peek.Kind is TokenKind.String or TokenKind.Number || (Peek.Kind == TokenKind.Name && Peek.Text is "none" or "true" or "false"))
                    args.Add(ParsePrimary());
                e = new TestExpr(e, name, negated, args);
            }
            else return e;
        }
    }
}
