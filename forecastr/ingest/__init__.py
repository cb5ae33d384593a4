"""CSV ingest, step by step: :func:`forecastr.data.load_csv` is the one entry point.

The modules, in the order a file meets them:

* :mod:`~forecastr.ingest.options`: what the user asked for;
* :mod:`~forecastr.ingest.sniff`: the file (compression, encoding, separator, header), with
  :mod:`~forecastr.ingest.footer` (lines of notes below the data);
* :mod:`~forecastr.ingest.layout`: which column is what, with
  :mod:`~forecastr.ingest.timeparts` (a timestamp split over columns),
  :mod:`~forecastr.ingest.clock` and :mod:`~forecastr.ingest.periods` (a date beside its
  time of day, hour or settlement period),
  :mod:`~forecastr.ingest.matrix` (a year-by-month table) and
  :mod:`~forecastr.ingest.textcols` (which column of text names the series, which say nothing);
* :mod:`~forecastr.ingest.csvread`: reading the used columns, with
  :mod:`~forecastr.ingest.arrowread` or :mod:`~forecastr.ingest.pandasread`;
  :mod:`~forecastr.ingest.cells` converts cells, :mod:`~forecastr.ingest.badlines` finds the
  line of a bad row;
* :mod:`~forecastr.ingest.rows`: the columns as arrays, values checked by
  :mod:`~forecastr.ingest.values`, times parsed by :mod:`~forecastr.ingest.timeparse` (and
  :mod:`~forecastr.ingest.datespell`: dates as spreadsheets, R and statistical offices write
  them) within :mod:`~forecastr.ingest.timerange`;
* :mod:`~forecastr.ingest.stack`: rows to series, long or wide;
* :mod:`~forecastr.ingest.repeats`: a timestamp repeated with the same value, or in the night
  the clocks go back, kept once;
* :mod:`~forecastr.ingest.timeaxis` and :mod:`~forecastr.ingest.frequency`: the grid;
* :mod:`~forecastr.ingest.gaps`: the full grid, gaps filled.

:mod:`~forecastr.ingest.where` carries the file name and the line numbers every message needs.
"""
