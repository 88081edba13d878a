using DrLlm.Tests.Shared;

// The tests start node processes and PostgreSQL servers: one at a time keeps them within the 2 cores.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DrLlm.Cluster.Tests;

/// <summary>One server shared by the tests that only need a fresh database each.</summary>
[CollectionDefinition("pg")]
public sealed class PgCollection : ICollectionFixture<PostgresServer>;
