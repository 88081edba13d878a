namespace DrLlm.Cluster.Silo;

/// <summary>This silo as its grains see it: its node id, a log line writer (stderr, timestamped: what operators and
/// the failover tests read), and the token that fires when the node starts leaving, so running work checkpoints and
/// hands itself back before the silo stops.</summary>
public sealed class SiloNode(NodeOptions options, TextWriter log)
{
    private readonly CancellationTokenSource _leaving = new();

    public string Id => options.NodeId;
    public NodeOptions Options => options;
    public CancellationToken Leaving => _leaving.Token;

    public void BeginLeaving() => _leaving.Cancel();

    public void Log(string message)
    {
        lock (log) log.WriteLine($"[{DateTime.UtcNow:HH:mm:ss.fff}] {message}");
    }
}
