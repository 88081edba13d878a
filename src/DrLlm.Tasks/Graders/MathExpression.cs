using System.Numerics;

namespace DrLlm.Tasks.Graders;

/// <summary>
/// A small exact evaluator for normalised answers (see <see cref="MathAnswer.Normalize"/>): numbers (integer or
/// decimal), + - * / ^ with the usual precedence (unary minus binds looser than ^, so -2^2 = -4), parentheses and
/// braces as groups, \frac{a}{b} and its shorthand \frac12, \sqrt{x} / \sqrt4 when the root is rational. No implicit
/// multiplication (2\sqrt{3}, 2x and mixed numbers are not values) and no variables: such answers are compared as
/// normalised strings instead. Returns null for anything it cannot evaluate exactly.
/// </summary>
public static class MathExpression
{
    public static Rational? Evaluate(string text)
    {
        var p = new Parser(text);
        try
        {
            var v = p.Expr();
            p.SkipSpace();
            return v is not null && p.AtEnd ? v : null;
        }
        catch (DivideByZeroException) { return null; }
    }

    private sealed class Parser(string s)
    {
        private int _i;
        private int _depth;
        public bool AtEnd => _i >= s.Length;

        public void SkipSpace() { while (_i < s.Length && s[_i] == ' ') _i++; }
        private bool Eat(char c) { SkipSpace(); if (_i < s.Length && s[_i] == c) { _i++; return true; } return false; }
        private bool EatWord(string w) { SkipSpace(); if (string.CompareOrdinal(s, _i, w, 0, w.Length) == 0) { _i += w.Length; return true; } return false; }

        public Rational? Expr()
        {
            if (++_depth > 100) return null;
            var v = Term();
            while (v is not null)
            {
                if (Eat('+')) v = Term() is { } r ? v + r : null;
                else if (Eat('-')) v = Term() is { } r ? v - r : null;
                else break;
            }
            _depth--;
            return v;
        }

        private Rational? Term()
        {
            var v = Unary();
            while (v is not null)
            {
                if (Eat('*')) v = Unary() is { } r ? v * r : null;
                else if (Eat('/')) v = Unary() is { } r && !r.Num.IsZero ? v / r : null;
                else break;
            }
            return v;
        }

        private Rational? Unary()
        {
            if (Eat('-')) return Unary() is { } v ? -v : null;
            if (Eat('+')) return Unary();
            return Power();
        }

        private Rational? Power()
        {
            var b = Atom();
            if (b is null || !Eat('^')) return b;
            // The exponent is an atom or a signed atom ("2^-1", "2^{10}"); a^b^c is read a^(b^c).
            bool neg = Eat('-');
            var e = Power();
            return e is null ? null : Rational.Pow(b.Value, neg ? -e.Value : e.Value);
        }

        private Rational? Atom()
        {
            SkipSpace();
            if (AtEnd) return null;
            if (Eat('(')) return Group(')');
            if (Eat('{')) return Group('}');
            if (EatWord("\\frac"))
            {
                var a = Argument(); var b = Argument();
                return a is not null && b is not null && !b.Value.Num.IsZero ? a / b : null;
            }
            if (EatWord("\\sqrt")) return Argument() is { } r ? Rational.Sqrt(r) : null;
            return Number();
        }

        private Rational? Group(char close)
        {
            var v = Expr();
            return v is not null && Eat(close) ? v : null;
        }

        /// <summary>A LaTeX argument: {expr}, or a single digit as in \frac12 and \sqrt4.</summary>
        private Rational? Argument()
        {
            if (Eat('{')) return Group('}');
            SkipSpace();
            if (!AtEnd && char.IsAsciiDigit(s[_i])) return Rational.Of(s[_i++] - '0');
            return null;
        }

        private Rational? Number()
        {
            int start = _i;
            while (_i < s.Length && char.IsAsciiDigit(s[_i])) _i++;
            int intEnd = _i;
            BigInteger frac = 0, scale = 1;
            if (_i < s.Length && s[_i] == '.')
            {
                _i++;
                int fracStart = _i;
                while (_i < s.Length && char.IsAsciiDigit(s[_i])) _i++;
                if (_i == fracStart && intEnd == start) { _i = start; return null; }
                if (_i > fracStart)
                {
                    frac = BigInteger.Parse(s.AsSpan(fracStart, _i - fracStart));
                    scale = BigInteger.Pow(10, _i - fracStart);
                }
            }
            if (_i == start) return null;
            var whole = intEnd > start ? BigInteger.Parse(s.AsSpan(start, intEnd - start)) : BigInteger.Zero;
            return new Rational(whole * scale + frac, scale);
        }
    }
}
