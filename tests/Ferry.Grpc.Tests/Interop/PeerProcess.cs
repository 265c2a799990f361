using System.Diagnostics;
using System.Text;

namespace Ferry.Grpc.Tests.Interop;

/// <summary>
/// A child process with its output captured line by line: await a line (e.g. <c>LISTENING 40123</c>) or the exit,
/// with a timeout, and on dispose kill the whole process tree if it is still running. <see cref="Describe"/> gives
/// the command line, exit code and output for failure messages.
/// </summary>
internal sealed class PeerProcess : IAsyncDisposable
{
    private static readonly TimeSpan s_killTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly string _commandLine;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly StringBuilder _stderr = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Found)> _waiters = [];
    private bool _stdoutClosed;

    private PeerProcess(Process process, string commandLine)
    {
        _process = process;
        _commandLine = commandLine;
    }

    public IReadOnlyList<string> StandardOutputLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stdout];
            }
        }
    }

    public static PeerProcess Start(string fileName, IEnumerable<string> arguments, string? workingDirectory = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        var peer = new PeerProcess(process, string.Join(' ', startInfo.ArgumentList.Prepend(fileName)));
        process.OutputDataReceived += (_, e) => peer.OnStandardOutput(e.Data);
        process.ErrorDataReceived += (_, e) => peer.OnStandardError(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <summary>
    /// The first stdout line (already seen or still to come) that <paramref name="match"/> accepts. Fails at once
    /// when stdout closes (the process exited) without one, and with <see cref="TimeoutException"/> after
    /// <paramref name="timeout"/>; both failures describe the process.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_stdout.FirstOrDefault(match) is { } seen)
            {
                return seen;
            }

            if (_stdoutClosed)
            {
                throw new InvalidOperationException($"The process ended without the expected line. {Describe()}");
            }

            _waiters.Add((match, found));
        }

        try
        {
            return await found.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No expected line within {timeout.TotalSeconds:0} s. {Describe()}");
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the exit and the end of its output; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await _process.WaitForExitAsync().WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"The process did not exit within {timeout.TotalSeconds:0} s. {Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Command line, state, stdout and the end of stderr, for an assertion message.</summary>
    public string Describe()
    {
        string exit;
        try
        {
            exit = _process.HasExited ? $"exited with {_process.ExitCode}" : "still running";
        }
        catch (InvalidOperationException)
        {
            exit = "state unknown";
        }

        lock (_gate)
        {
            var stderr = _stderr.ToString();
            if (stderr.Length > 4000)
            {
                stderr = "..." + stderr[^4000..];
            }

            return $"Process `{_commandLine}` {exit}.{Environment.NewLine}" +
                $"stdout:{Environment.NewLine}{string.Join(Environment.NewLine, _stdout)}{Environment.NewLine}" +
                $"stderr:{Environment.NewLine}{stderr}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(s_killTimeout).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnStandardOutput(string? line)
    {
        List<TaskCompletionSource<string>> satisfied = [];
        List<TaskCompletionSource<string>> orphaned = [];
        lock (_gate)
        {
            if (line is null)
            {
                _stdoutClosed = true;
                orphaned.AddRange(_waiters.Select(w => w.Found));
                _waiters.Clear();
            }
            else
            {
                _stdout.Add(line);
                foreach (var waiter in _waiters.Where(w => w.Match(line)).ToList())
                {
                    satisfied.Add(waiter.Found);
                    _waiters.Remove(waiter);
                }
            }
        }

        foreach (var found in satisfied)
        {
            found.TrySetResult(line!);
        }

        foreach (var found in orphaned)
        {
            found.TrySetException(new InvalidOperationException($"The process ended without the expected line. {Describe()}"));
        }
    }

    private void OnStandardError(string? line)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                _stderr.AppendLine(line);
            }
        }
    }
}
