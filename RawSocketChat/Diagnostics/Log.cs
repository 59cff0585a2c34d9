namespace RawSocketChat.Diagnostics;

public enum LogLevel { Trace, Debug, Info, Warn, Error, None }

/// <summary>
/// A minimal line logger: one line per event, UTC timestamp, level, then <c>key=value</c> context, so logs can be
/// read by people and grepped by tools. It is deliberately tiny: a server that shows how the protocol works should
/// not hide its behaviour behind a logging framework.
/// </summary>
public sealed class Log
{
    private readonly TextWriter _out;
    private readonly object _lock = new();

    public Log(LogLevel minimum, TextWriter? output = null)
    {
        Minimum = minimum;
        _out = output ?? Console.Out;
    }

    public LogLevel Minimum { get; }

    public bool IsEnabled(LogLevel level) => level >= Minimum;

    public void Write(LogLevel level, string message)
    {
        if (!IsEnabled(level)) return;
        string line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {Label(level)} {message}";
        lock (_lock)
        {
            _out.WriteLine(line);
            _out.Flush();
        }
    }

    public void Trace(string message) => Write(LogLevel.Trace, message);
    public void Debug(string message) => Write(LogLevel.Debug, message);
    public void Info(string message) => Write(LogLevel.Info, message);
    public void Warn(string message) => Write(LogLevel.Warn, message);
    public void Error(string message, Exception? exception = null) =>
        Write(LogLevel.Error, exception is null ? message : $"{message} exception={exception}");

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Info => "info",
        LogLevel.Warn => "warn",
        _ => "fail",
    };
}
