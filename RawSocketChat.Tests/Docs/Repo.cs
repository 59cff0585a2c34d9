using System.Runtime.CompilerServices;

namespace RawSocketChat.Tests.Docs;

/// <summary>The source tree, for the tests that read the documentation and the code as text.</summary>
internal static class Repo
{
    /// <summary>
    /// The repository root: the folder holding chat.sln, found by walking up from the test binaries — or, when they
    /// were built elsewhere (<c>--artifacts-path</c>), from this source file's compile-time path.
    /// </summary>
    public static string Root => s_root.Value;

    private static readonly Lazy<string> s_root = new(() =>
    {
        foreach (string? start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(SourceFile()) })
        {
            for (DirectoryInfo? dir = start is null ? null : new(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "chat.sln")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException($"chat.sln not found above {AppContext.BaseDirectory} or {SourceFile()}");
    });

    private static string SourceFile([CallerFilePath] string path = "") => path;

    public static string PathOf(string relative) => Path.Combine(Root, relative.Replace('/', Path.DirectorySeparatorChar));

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    /// <summary>A path relative to the root, with forward slashes.</summary>
    public static string Relative(string path) => Path.GetRelativePath(Root, path).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// Files under <paramref name="relativeFolder"/> matching <paramref name="pattern"/>, without build output,
    /// git's folder and installed packages (those folders are not entered at all).
    /// </summary>
    public static IEnumerable<string> Files(string relativeFolder, string pattern)
    {
        var folders = new Stack<string>([PathOf(relativeFolder)]);
        while (folders.TryPop(out string? folder))
        {
            foreach (string file in Directory.EnumerateFiles(folder, pattern))
                yield return file;
            foreach (string sub in Directory.EnumerateDirectories(folder))
            {
                if (Path.GetFileName(sub) is not ("bin" or "obj" or ".git" or "node_modules" or "TestResults"))
                    folders.Push(sub);
            }
        }
    }
}
