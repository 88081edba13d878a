using Microsoft.AspNetCore.Components;

namespace DrLlm.Dashboard.Components;

/// <summary>
/// A page whose figures move by themselves: once the circuit is up, it re-reads its data every
/// <see cref="Period"/> on the server and re-renders, so the browser gets the changes pushed over the circuit (no
/// reload, no polling script). It stops when the page is left.
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    protected virtual TimeSpan Period => TimeSpan.FromSeconds(1.5);
    /// <summary>Whether the page has nothing more to follow (then refreshing stops).</summary>
    protected virtual bool Settled => false;
    /// <summary>Refreshes so far (tests read it from the page to see that figures came over the circuit).</summary>
    protected int Refreshes { get; private set; }

    protected abstract Task LoadAsync();

    protected override Task OnInitializedAsync() => LoadAsync();

    protected override void OnAfterRender(bool firstRender)
    {
        if (firstRender) _ = RefreshLoop();
    }

    private async Task RefreshLoop()
    {
        using var timer = new PeriodicTimer(Period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                if (Settled) continue;
                await InvokeAsync(async () =>
                {
                    try { await LoadAsync(); Refreshes++; StateHasChanged(); }
                    catch (Exception e) when (e is InvalidOperationException or Npgsql.NpgsqlException or TimeoutException) { } // the database away for a moment: keep what is shown, try again
                });
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
