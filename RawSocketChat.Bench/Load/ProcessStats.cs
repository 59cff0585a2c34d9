using System.Globalization;
using System.Runtime.InteropServices;

namespace RawSocketChat.Bench.Load;

/// <summary>Linux /proc readings: a process's CPU time and resident memory, and which process listens on a port.</summary>
internal static partial class ProcessStats
{
    /// <summary>user + system CPU seconds of <paramref name="pid"/>, or null when it cannot be read.</summary>
    public static double? CpuSeconds(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / 100.0; // USER_HZ is 100 on Linux
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>Resident set size in bytes (VmRSS), or null.</summary>
    public static long? RssBytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    /// <summary>Kernel memory of all TCP sockets (the "mem" pages of /proc/net/sockstat), in bytes.</summary>
    public static long? KernelTcpMemoryBytes()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/net/sockstat"))
            {
                if (!line.StartsWith("TCP:", StringComparison.Ordinal)) continue;
                string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int i = Array.IndexOf(parts, "mem");
                if (i > 0) return long.Parse(parts[i + 1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return null;
    }

    /// <summary>The process that has a socket listening on TCP <paramref name="port"/>, found through /proc.</summary>
    public static int? FindListener(int port)
    {
        try
        {
            var inodes = new HashSet<string>();
            foreach (string table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
            {
                if (!File.Exists(table)) continue;
                foreach (string line in File.ReadLines(table).Skip(1))
                {
                    string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length < 10 || f[3] != "0A") continue; // 0A = LISTEN
                    string local = f[1];
                    if (int.Parse(local[(local.IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
                        inodes.Add($"socket:[{f[9]}]");
                }
            }
            if (inodes.Count == 0) return null;
            foreach (string dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
                try
                {
                    foreach (string fd in Directory.EnumerateFiles(Path.Combine(dir, "fd")))
                    {
                        if (new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target))
                            return pid;
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    private const int RlimitNoFile = 7;

    [DllImport("libc", SetLastError = true)]
    private static extern int getrlimit(int resource, out RLimit limit);

    [DllImport("libc", SetLastError = true)]
    private static extern int setrlimit(int resource, ref RLimit limit);

    /// <summary>
    /// Raises this process's open-file limit to at least <paramref name="wanted"/> (raising the hard limit needs root).
    /// Child processes inherit it. Returns the soft limit in force afterwards.
    /// </summary>
    public static long RaiseFileLimit(long wanted)
    {
        if (!OperatingSystem.IsLinux()) return -1;
        if (getrlimit(RlimitNoFile, out RLimit limit) != 0) return -1;
        if (limit.Current >= (ulong)wanted) return (long)limit.Current;
        var raised = new RLimit { Current = (ulong)wanted, Maximum = Math.Max(limit.Maximum, (ulong)wanted) };
        if (setrlimit(RlimitNoFile, ref raised) != 0)
        {
            // Not root: go as far as the hard limit allows.
            raised = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            setrlimit(RlimitNoFile, ref raised);
        }
        getrlimit(RlimitNoFile, out limit);
        return (long)limit.Current;
    }
}
