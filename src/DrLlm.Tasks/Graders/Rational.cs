using System.Numerics;

namespace DrLlm.Tasks.Graders;

/// <summary>An exact fraction Num/Den in lowest terms with Den &gt; 0, so 1.50, 3/2 and \frac{6}{4} compare equal.</summary>
public readonly record struct Rational
{
    public BigInteger Num { get; }
    public BigInteger Den { get; }

    public Rational(BigInteger num, BigInteger den)
    {
        if (den.IsZero) throw new DivideByZeroException();
        if (den.Sign < 0) { num = -num; den = -den; }
        var g = BigInteger.GreatestCommonDivisor(num, den);
        if (!g.IsZero && !g.IsOne) { num /= g; den /= g; }
        Num = num;
        Den = den;
    }

    public static Rational Of(BigInteger n) => new(n, BigInteger.One);
    public bool IsInteger => Den.IsOne;

    public static Rational operator +(Rational a, Rational b) => new(a.Num * b.Den + b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a, Rational b) => new(a.Num * b.Den - b.Num * a.Den, a.Den * b.Den);
    public static Rational operator -(Rational a) => new(-a.Num, a.Den);
    public static Rational operator *(Rational a, Rational b) => new(a.Num * b.Num, a.Den * b.Den);
    public static Rational operator /(Rational a, Rational b) => new(a.Num * b.Den, a.Den * b.Num);

    /// <summary>a^e for an integer e; null when the result would be huge (|e| &gt; 64) or 0 is raised to a negative power.</summary>
    public static Rational? Pow(Rational a, Rational e)
    {
        if (!e.IsInteger || BigInteger.Abs(e.Num) > 64) return null;
        int k = (int)e.Num;
        if (k < 0 && a.Num.IsZero) return null;
        var r = new Rational(BigInteger.Pow(a.Num, Math.Abs(k)), BigInteger.Pow(a.Den, Math.Abs(k)));
        return k < 0 ? new Rational(r.Den, r.Num) : r;
    }

    /// <summary>The exact square root when numerator and denominator are perfect squares; null otherwise.</summary>
    public static Rational? Sqrt(Rational a)
    {
        if (a.Num.Sign < 0) return null;
        var n = ISqrt(a.Num); var d = ISqrt(a.Den);
        return n * n == a.Num && d * d == a.Den ? new Rational(n, d) : null;
    }

    private static BigInteger ISqrt(BigInteger v)
    {
        if (v < 2) return v;
        var x = (BigInteger)Math.Sqrt((double)v);
        while (x * x > v) x--;
        while ((x + 1) * (x + 1) <= v) x++;
        return x;
    }

    public override string ToString() => Den.IsOne ? Num.ToString() : $"{Num}/{Den}";
}
