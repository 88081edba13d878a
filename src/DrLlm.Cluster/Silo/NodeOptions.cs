using System.Net;

namespace DrLlm.Cluster.Silo;

/// <summary>
/// What <c>drllm node</c> is told; every default is here. A silo listens on <see cref="Advertise"/> (silo-to-silo port
/// and gateway port for clients) and publishes that address in the membership table, so every other silo must be able
/// to reach it there: the default, loopback, keeps a cluster on one machine private; silos on several machines each
/// advertise an address the others reach (README, "Scale out").
/// </summary>
public sealed record NodeOptions
{
    public required string ConnectionString { get; init; }
    public required IReadOnlyList<(string Name, string Source)> Models { get; init; }
    /// <summary>Work items (trees, trainings, evaluations) per model this silo runs at once.</summary>
    public int Concurrency { get; init; } = 2;
    /// <summary>Engine threads per model (0: all cores).</summary>
    public int Threads { get; init; }
    /// <summary>Node id (also the Orleans silo name); <see cref="DefaultNodeId"/> when not given.</summary>
    public string NodeId { get; init; } = DefaultNodeId();
    /// <summary>Orleans cluster id: silos with the same database and cluster id form one cluster.</summary>
    public string ClusterId { get; init; } = "drllm";
    public IPAddress Advertise { get; init; } = IPAddress.Loopback;
    /// <summary>0: a free port is chosen at start.</summary>
    public int SiloPort { get; init; }
    /// <summary>0: a free port is chosen at start.</summary>
    public int GatewayPort { get; init; }

    public static string DefaultNodeId() => $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    public void Validate()
    {
        if (Concurrency < 1) throw new ArgumentException($"--concurrency must be ≥ 1, got {Concurrency}");
        if (SiloPort is < 0 or > 65535) throw new ArgumentException($"--silo-port must be 0-65535, got {SiloPort}");
        if (GatewayPort is < 0 or > 65535) throw new ArgumentException($"--gateway-port must be 0-65535, got {GatewayPort}");
        if (NodeId.Length == 0 || !NodeId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            throw new ArgumentException($"--id: '{NodeId}' may use letters, digits, '-', '_' and '.' only");
        if (string.IsNullOrWhiteSpace(ClusterId)) throw new ArgumentException("--cluster: must not be empty");
    }
}
