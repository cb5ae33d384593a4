from forecastr.cli import main

main()
