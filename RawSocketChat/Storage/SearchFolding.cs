namespace RawSocketChat.Storage;

/// <summary>
/// Accent folding without ICU (the server runs with invariant globalization, which has no Unicode normalization):
/// each precomposed Latin letter whose canonical decomposition is a letter and combining marks maps to that letter —
/// <c>é</c> to <c>e</c>, <c>Ǻ</c> to <c>A</c> — as SQLite's <c>remove_diacritics</c> does, and like it no other script
/// (<c>ώ</c> stays <c>ώ</c>); combining marks themselves (U+0300–U+036F, text typed decomposed) are dropped. Letters
/// without a decomposition (<c>ø</c>, <c>ł</c>, <c>ß</c>) stay, as they do in SQLite. Both stores index the words
/// folded by this table (SQLite's FTS5 is given them already folded), so what matters is that it is one table.
/// <para>
/// Generated once from Python's <c>unicodedata</c> (Unicode 14.0.0): for U+00C0–U+024F and U+1E00–U+1EFF, every
/// letter whose NFD is a letter followed only by marks of category Mn. 497 letters; regenerate rather than
/// edit by hand.
/// </para>
/// </summary>
internal static class SearchFolding
{
    private const string Accented =
        "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜ"
        + "ĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽ"
        + "žƠơƯưǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǦǧǨǩǪǫǬǭǮǯǰǴǵǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȞȟȦȧ"
        + "ȨȩȪȫȬȭȮȯȰȱȲȳḀḁḂḃḄḅḆḇḈḉḊḋḌḍḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃ"
        + "ṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓ"
        + "ẔẕẖẗẘẙẛẠạẢảẤấẦầẨẩẪẫẬậẮắẰằẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨ"
        + "ứỪừỬửỮữỰựỲỳỴỵỶỷỸỹ";

    private const string Bases =
        "AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeG"
        + "gGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZ"
        + "zOoUuAaIiOoUuUuUuUuUuAaAaÆæGgKkOoOoƷʒjGgNnAaÆæØøAaAaEeEeIiIiOoOoRrRrUuUuSsTtHhAa"
        + "EeOoOoOoOoYyAaBbBbBbCcDdDdDdDdDdEeEeEeEeEeFfGgHhHhHhHhHhIiIiKkKkKkLlLlLlLlMmMmMm"
        + "NnNnNnNnOoOoOoOoPpPpRrRrRrRrSsSsSsSsSsTtTtTtTtUuUuUuUuUuVvVvWwWwWwWwWwXxXxYyZzZz"
        + "ZzhtwyſAaAaAaAaAaAaAaAaAaAaAaAaEeEeEeEeEeEeEeEeIiIiOoOoOoOoOoOoOoOoOoOoOoOoUuUuU"
        + "uUuUuUuUuYyYyYyYy";

    /// <summary>Below this every folded letter lies; a table of that size is 16 KiB and a lookup is one index.</summary>
    private const int TableSize = 0x1F00;

    private static readonly char[] Table = Build();

    private static char[] Build()
    {
        var table = new char[TableSize];
        for (int c = 0; c < TableSize; c++)
            table[c] = (char)c;
        for (int i = 0; i < Accented.Length; i++)
            table[Accented[i]] = Bases[i];
        return table;
    }

    /// <summary>The letter without its accents; a combining mark is <c>'\0'</c> (dropped); anything else is itself.</summary>
    public static char RemoveDiacritics(char c) =>
        c is >= '\u0300' and <= '\u036F' ? '\0' : c < TableSize ? Table[c] : c;
}
