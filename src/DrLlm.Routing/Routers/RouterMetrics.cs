namespace DrLlm.Routing.Routers;

/// <summary>A 3×3 confusion matrix over block decisions (rows: label, columns: prediction) and the metrics of METHOD.md.</summary>
public sealed class RouterMetrics
{
    public long[] Confusion { get; } = new long[Router.Classes * Router.Classes];

    /// <summary>Metrics of a stored confusion matrix (<see cref="EpochMetrics.ValidationConfusion"/>).</summary>
    public static RouterMetrics FromConfusion(IReadOnlyList<long> confusion)
    {
        if (confusion.Count != Router.Classes * Router.Classes)
            throw new ArgumentException($"a router confusion matrix has {Router.Classes * Router.Classes} cells, got {confusion.Count}");
        var m = new RouterMetrics();
        for (int i = 0; i < confusion.Count; i++) m.Confusion[i] = confusion[i];
        return m;
    }

    public void Add(int label, int predicted) => Confusion[label * Router.Classes + predicted]++;

    public long Total => Confusion.Sum();

    /// <summary>Per-block accuracy: correct decisions over all (example, block) pairs.</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Enumerable.Range(0, Router.Classes).Sum(c => Confusion[c * 4]) / Total;

    /// <summary>Recall per class (the "per-class accuracy" of the progress bar); NaN for a class with no labels.</summary>
    public double[] ClassAccuracy() => Enumerable.Range(0, Router.Classes).Select(c =>
    {
        long support = Enumerable.Range(0, Router.Classes).Sum(p => Confusion[c * Router.Classes + p]);
        return support == 0 ? double.NaN : (double)Confusion[c * 4] / support;
    }).ToArray();

    /// <summary>
    /// Macro-F1: the mean of the per-class F1 over the classes that occur as a label or a prediction (a class absent
    /// from both has no defined F1 and is left out rather than counted as 0 or 1).
    /// </summary>
    public double MacroF1()
    {
        double sum = 0;
        int n = 0;
        for (int c = 0; c < Router.Classes; c++)
        {
            long tp = Confusion[c * 4], support = 0, predicted = 0;
            for (int k = 0; k < Router.Classes; k++)
            {
                support += Confusion[c * Router.Classes + k];
                predicted += Confusion[k * Router.Classes + c];
            }
            if (support + predicted == 0) continue;
            sum += 2.0 * tp / (support + predicted);
            n++;
        }
        return n == 0 ? 0 : sum / n;
    }
}
