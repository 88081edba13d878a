namespace DrLlm.Routing.Routers;

/// <summary>
/// GELU in its exact erf form, GELU(x) = x·Φ(x) = ½x(1 + erf(x/√2)), as PyTorch's default nn.GELU (not the tanh
/// approximation). .NET has no erf, so <see cref="Erf"/> is W. J. Cody's rational approximation (double precision).
/// </summary>
public static class Gelu
{
    private const double InvSqrt2 = 0.70710678118654752440;
    private const double InvSqrt2Pi = 0.39894228040143267794;

    public static double Forward(double x) => 0.5 * x * (1.0 + Erf(x * InvSqrt2));

    /// <summary>dGELU/dx = Φ(x) + x·φ(x).</summary>
    public static double Derivative(double x) => 0.5 * (1.0 + Erf(x * InvSqrt2)) + x * InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>y = GELU(x), element-wise.</summary>
    public static void Forward(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)Forward((double)x[i]);
    }

    /// <summary>dx += dy · GELU'(x), element-wise.</summary>
    public static void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int i = 0; i < x.Length; i++) dx[i] += (float)(dy[i] * Derivative(x[i]));
    }

    /// <summary>
    /// erf(x) to ~1e-16 relative error: Cody (1969), "Rational Chebyshev approximations for the error function",
    /// the three ranges |x| ≤ 0.5, ≤ 4, &gt; 4 with his published coefficients.
    /// </summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax <= 0.5)
        {
            double z = x * x;
            double num = (((0.185777706184603153 * z + 3.16112374387056560) * z + 113.864154151050156) * z
                          + 377.485237685302021) * z + 3209.37758913846947;
            double den = (((z + 23.6012909523441209) * z + 244.024637934444173) * z + 1282.61652607737228) * z
                         + 2844.23683343917062;
            return x * num / den;
        }
        return Math.CopySign(1.0 - Erfc(ax), x);
    }

    private static double Erfc(double ax)
    {
        double r;
        if (ax <= 4.0)
        {
            double num = (((((((2.15311535474403846e-8 * ax + 5.64188496988670089e-1) * ax + 8.88314979438837594) * ax
                                + 66.1191906371416295) * ax + 298.635138197400131) * ax + 881.952221241769090) * ax
                             + 1712.04761263407058) * ax + 2051.07837782607147) * ax + 1230.33935479799725;
            double den = (((((((ax + 15.7449261107098347) * ax + 117.693950891312499) * ax + 537.181101862009858) * ax
                              + 1621.38957456669019) * ax + 3290.79923573345963) * ax + 4362.61909014324716) * ax
                           + 3439.36767414372164) * ax + 1230.33935480374942;
            r = num / den;
        }
        else
        {
            double z = 1.0 / (ax * ax);
            double num = ((((1.63153871373020978e-2 * z + 3.05326634961232344e-1) * z + 3.60344899949804439e-1) * z
                           + 1.25781726111229246e-1) * z + 1.60837851487422766e-2) * z + 6.58749161529837803e-4;
            double den = ((((z + 2.56852019228982242) * z + 1.87295284992346725) * z + 5.27905102951428412e-1) * z
                          + 6.05183413124413191e-2) * z + 2.33520497626869185e-3;
            r = (0.56418958354775628695 - z * num / den) / ax;
        }
        return Math.Exp(-ax * ax) * r;
    }
}
